"""`python -m shared send` and `python -m shared demo`, as a user runs them, against the running host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from shared.app.settings import APP_ROOT
from tests.e2e.conftest import Host


def _cli(
    host: Host, *args: str, state: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE", "AZUREML", "REACTOR_"))}
    env |= {"REACTOR_MODE": "local", "REACTOR_STATE_DIR": str(state or host.state)}
    return subprocess.run(
        [sys.executable, "-m", "shared", *args, "--url", host.url],
        cwd=APP_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_send_posts_a_synthetic_event_with_the_stored_key(host: Host) -> None:
    done = _cli(host, "send", "--synth", "model_registered", "--set", "model=churn")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("202")
    assert host.record("churn", "1")["stage"] == "testing"


def test_send_reads_a_cloudevents_file_from_stdin_with_an_explicit_key(host: Host, tmp_path: Path) -> None:
    event = {
        "specversion": "1.0",
        "id": "ce-1",
        "source": host.settings.workspace_id,
        "type": "Microsoft.MachineLearningServices.ModelRegistered",
        "subject": "models/churn:7",
        "time": "2026-11-22T09:00:00Z",
        "data": {"modelName": "churn", "modelVersion": "7"},
    }
    done = _cli(
        host, "send", "-", "--eventgrid-key", host.keys.eventgrid, state=tmp_path / "elsewhere", stdin=json.dumps(event)
    )
    assert done.returncode == 0, done.stderr
    assert host.record("churn", "7")["stage"] == "testing"


def test_send_with_a_wrong_key_reports_401(host: Host, tmp_path: Path) -> None:
    done = _cli(host, "send", "--synth", "model_registered", "--eventgrid-key", "wrong", state=tmp_path / "x")
    assert done.returncode == 2
    assert done.stdout.startswith("401")


def test_demo_drives_the_loop_over_http_to_production_and_a_rejection(host: Host) -> None:
    done = _cli(host, "demo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "credit-risk:2: production (approved by ml-lead@contoso.example)" in done.stdout
    assert "credit-risk:3: rejected" in done.stdout
    assert "200 failures -> 1 on-call alert(s)" in done.stdout
    assert "no second effect" in done.stdout
    stages = {v: host.record("credit-risk", v)["stage"] for v in ("1", "2", "3")}
    assert stages == {"1": "superseded", "2": "production", "3": "rejected"}


def test_demo_refuses_a_host_that_already_has_history(host: Host) -> None:
    host.register()
    done = _cli(host, "demo")
    assert done.returncode == 2
    assert "--reset" in done.stderr


def test_demo_in_process_still_runs_without_a_host(tmp_path: Path, host: Host) -> None:
    done = _cli(host, "demo", "--in-process", "--state-dir", str(tmp_path / "alone"))
    assert done.returncode == 0, done.stderr
    assert "credit-risk:1: production" in done.stdout
