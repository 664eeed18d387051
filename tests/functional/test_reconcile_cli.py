"""`python -m shared reconcile`: its JSON, its summary line, and a bad --limit named with exit 2."""

from __future__ import annotations

import json

from shared.app.settings import Settings
from tests.functional.test_cli import cli


def test_reconcile_prints_one_json_object(settings: Settings) -> None:
    done = cli(settings, "reconcile", "--json", "--limit", "5")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["checked"] == 0 and body["workspace_calls"] == 0 and body["events"] == [] and body["errors"] == []


def test_reconcile_summarizes_and_leaves_a_fresh_job_alone(settings: Settings) -> None:
    registered = cli(settings, "synth", "model_registered").stdout
    assert cli(settings, "replay", "-", "--apply", stdin=registered).returncode == 0
    done = cli(settings, "reconcile")
    assert done.returncode == 0, done.stderr
    assert "checked 0 in-flight item(s) with 0 workspace call(s); fed nothing; swept 0" in done.stdout


def test_a_bad_limit_is_named_and_exits_2(settings: Settings) -> None:
    for bad in ("0", "-3", "many"):
        done = cli(settings, "reconcile", "--limit", bad)
        assert done.returncode == 2 and "--limit" in done.stderr and "Traceback" not in done.stderr
