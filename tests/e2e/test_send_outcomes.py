"""`python -m shared send` as a new user runs it: keys that look like options, and what became of each event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devhost.functions import load_app
from devhost.keys import Keys, new_key
from devhost.server import DevHost, bind, route_prefix, start_in_thread
from shared.app.settings import APP_ROOT
from tests.conftest import EVENTS
from tests.e2e.conftest import Host


def send(url: str, state: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE", "AZUREML", "REACTOR_"))}
    env |= {"REACTOR_MODE": "local", "REACTOR_STATE_DIR": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "shared", "send", *args, "--url", url],
        cwd=APP_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def dashed(host: Host) -> Iterator[tuple[str, Keys]]:
    """A second dev host on the same state whose keys start with '-' (as about 1 generated key in 64 did)."""
    keys = Keys(function="-f" + new_key(), eventgrid="-e" + new_key(), master="-m" + new_key())
    running = start_in_thread(bind(DevHost(load_app(APP_ROOT), keys, route_prefix(APP_ROOT))))
    try:
        yield running.url, keys
    finally:
        running.stop()


def test_generated_keys_cannot_look_like_options() -> None:
    keys = [new_key() for _ in range(2000)]
    assert not [k for k in keys if k.startswith("-")]
    assert all(len(k) == 60 and int(k, 16) >= 0 for k in keys)


def test_send_takes_keys_that_start_with_a_dash(dashed: tuple[str, Keys], tmp_path: Path) -> None:
    url, keys = dashed
    done = send(
        url,
        tmp_path / "elsewhere",
        "--synth",
        "model_registered",
        "--eventgrid-key",
        keys.eventgrid,
        "--key",
        keys.function,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("202")
    assert "ModelRegistered: handled" in done.stdout and "submit_job=done" in done.stdout
    spelled = send(
        url,
        tmp_path / "elsewhere",
        "--synth",
        "model_registered",
        "--set",
        "model=b",
        f"--eventgrid-key={keys.eventgrid}",
        f"--key={keys.function}",
    )
    assert spelled.returncode == 0, spelled.stderr


def test_send_says_an_event_from_an_untrusted_workspace_was_dead_lettered_and_why(host: Host) -> None:
    done = send(host.url, host.state, str(EVENTS / "bad.untrusted_topic.json"))
    assert done.returncode == 2
    assert done.stdout.startswith("202")
    assert "bad-0007 ModelRegistered: rejected (dead-lettered): event source" in done.stdout
    assert "is not the configured workspace" in done.stdout


def test_send_says_an_event_of_a_type_the_app_ignores_was_ignored(host: Host) -> None:
    event = {
        "id": "other-1",
        "topic": host.settings.workspace_id,
        "subject": "s",
        "eventType": "Contoso.Other",
        "eventTime": "2026-11-22T09:00:00Z",
        "data": {},
    }
    done = send(host.url, host.state, "-", stdin=json.dumps([event]))
    assert done.returncode == 0, done.stderr
    assert "other-1: ignored: event type 'Contoso.Other' is not one this app reacts to" in done.stdout
