"""`python -m shared silence ...` and `retrain-budget reset` as people run them: exit 0, or 2 naming the problem."""

from __future__ import annotations

import json

from shared.app.settings import Settings
from tests.functional.test_cli import cli


def test_set_list_expire_and_expire_due_from_the_command_line(settings: Settings) -> None:
    done = cli(
        settings,
        "silence",
        "set",
        "--scope",
        "channel",
        "--match",
        "oncall",
        "--for",
        "2h",
        "--by",
        "sre",
        "--why",
        "maintenance",
    )
    assert done.returncode == 0, done.stderr
    sid = json.loads(done.stdout)["silence"]
    listed = cli(settings, "silence", "list")
    assert sid in listed.stdout and "channel oncall" in listed.stdout and "1 silence(s)" in listed.stdout
    assert json.loads(cli(settings, "silence", "list", "--json").stdout)["silences"][0]["id"] == sid
    assert "0 silence(s) ended" in cli(settings, "silence", "expire-due").stdout  # not due for two hours
    ended = cli(settings, "silence", "expire", sid, "--by", "sre", "--why", "done")
    assert ended.returncode == 0 and json.loads(ended.stdout)["outcome"] == "handled"
    assert "ended" in cli(settings, "silence", "list", "--ended").stdout


def test_bad_input_exits_2_naming_the_field(settings: Settings) -> None:
    bad_scope = cli(
        settings, "silence", "set", "--scope", "team", "--match", "x", "--for", "1h", "--by", "a", "--why", "b"
    )
    assert bad_scope.returncode == 2 and "--scope" in bad_scope.stderr
    bad_for = cli(
        settings, "silence", "set", "--scope", "model", "--match", "x", "--for", "soon", "--by", "a", "--why", "b"
    )
    assert bad_for.returncode == 2 and "--for" in bad_for.stderr
    bad_until = cli(
        settings,
        "silence",
        "set",
        "--scope",
        "model",
        "--match",
        "x",
        "--until",
        "2000-01-01T00:00:00Z",
        "--by",
        "a",
        "--why",
        "b",
    )
    assert bad_until.returncode == 2 and "'until'" in bad_until.stderr
    unknown = cli(settings, "silence", "expire", "sil-nope", "--by", "a")
    assert unknown.returncode == 2 and "no silence" in unknown.stderr


def test_reset_a_retrain_budget_from_the_command_line(settings: Settings) -> None:
    done = cli(settings, "retrain-budget", "reset", "credit-risk", "--by", "ml-lead", "--why", "fixed the data")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["actions"][0]["kind"] == "reset_budget"
    assert cli(settings, "retrain-budget", "reset", "credit-risk", "--by", "a").returncode == 2  # --why is required
