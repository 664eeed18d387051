"""`python -m shared` as other tools call it: replay's JSON contract and exit codes, synth, status, approve."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.app.settings import APP_ROOT, Settings
from tests.conftest import EVENTS


def cli(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared", *args],
        cwd=APP_ROOT,
        env=dict(settings.env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_replay_json_is_one_object_and_dry_run_by_default(settings: Settings) -> None:
    done = cli(settings, "replay", str(EVENTS / "model_registered.eventgrid.pascal.json"), "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    [event] = body["events"]
    assert set(event) >= {"id", "type", "outcome", "actions", "error"}
    assert event["outcome"] == "handled" and event["error"] is None
    first = event["actions"][0]
    assert (first["kind"], first["purpose"]) == ("submit_job", "offline_test")
    assert cli(settings, "jobs").stdout == ""


def test_replay_apply_acts_and_a_second_apply_is_a_duplicate(settings: Settings) -> None:
    path = str(EVENTS / "model_registered.cloudevents.camel.json")
    assert cli(settings, "replay", path, "--apply").returncode == 0
    again = json.loads(cli(settings, "replay", path, "--apply", "--json").stdout)
    assert again["events"][0]["outcome"] == "duplicate"
    assert "sklearn_regression_model:3  testing" in cli(settings, "status", "sklearn_regression_model").stdout


def test_replay_reads_stdin_and_exits_2_on_a_rejected_event(settings: Settings) -> None:
    bad = (EVENTS / "bad.version_list.json").read_text()
    done = cli(settings, "replay", "-", "--json", stdin=bad)
    assert done.returncode == 2
    event = json.loads(done.stdout)["events"][0]
    assert event["outcome"] == "rejected" and "data.modelVersion" in event["error"]


def test_unreadable_input_exits_2_with_a_message(settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    done = cli(settings, "replay", str(broken), "--json")
    assert done.returncode == 2 and "cannot read a JSON delivery" in done.stderr and done.stdout == ""


@pytest.mark.parametrize("schema", ["eventgrid", "cloudevents"])
def test_synth_prints_an_event_the_core_accepts(settings: Settings, schema: str) -> None:
    done = cli(settings, "synth", "run_status_changed", "--schema", schema, "--set", "status=Canceled")
    event = json.loads(done.stdout)
    replayed = json.loads(cli(settings, "replay", "-", "--json", stdin=json.dumps(event)).stdout)
    assert replayed["events"][0]["outcome"] == "handled"
    assert replayed["events"][0]["actions"][0]["kind"] == "notify"


def test_approve_refuses_a_version_not_in_staging(settings: Settings) -> None:
    cli(settings, "replay", str(EVENTS / "model_registered.cloudevents.camel.json"), "--apply")
    done = cli(settings, "approve", "sklearn_regression_model:3", "--by", "erin")
    assert done.returncode == 2
    assert "only a version in staging" in done.stdout


def test_demo_runs_the_whole_loop_in_process(tmp_path: Path) -> None:
    from shared.tools import demo

    lines: list[str] = []
    reactor = demo.run(tmp_path, lines.append)
    stages = {r.version: str(r.stage) for r in reactor.store.records(demo.MODEL)}
    assert stages == {"1": "production", "2": "rejected"}
    assert any("200 failures -> 1 alert(s)" in line for line in lines)
