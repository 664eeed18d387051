"""Policy against the mode: local-only kinds in Azure mode are reported by /api/health and in the log once; events
are kept as dead letters (acknowledged, never a 500 loop) and replayed by id after the fix."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import pytest

from functions.aml_events import aml_events
from functions.health import health
from shared.adapters.cd.recorder import RecordingDeployer
from shared.adapters.notify.outbox import OutboxNotifier
from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.app.settings import APP_ROOT, Settings
from shared.core.clock import FixedClock
from shared.core.config_check import problems_for_mode
from shared.core.policy import load_policy
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from shared.web import http_api
from tests.conftest import TEST_RG, TEST_SUBSCRIPTION, TEST_WORKSPACE, WORKSPACE_ID

LOCAL_KINDS = [
    "cd_targets.local-cd.kind",
    "channels.data-science.kind",
    "channels.approvals.kind",
    "channels.oncall.kind",
    "channels.drift.kind",
]


@pytest.fixture
def azure_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Azure mode with the shipped local policy, and a secret that must never show."""
    env = {"AZURE_SUBSCRIPTION_ID": TEST_SUBSCRIPTION, "AZURE_RESOURCE_GROUP": TEST_RG}
    env |= {
        "AZUREML_WORKSPACE_NAME": TEST_WORKSPACE,
        "REACTOR_MODE": "azure",
        "REACTOR_STATE_DIR": str(tmp_path / "state"),
    }
    env |= {"REACTOR_GITHUB_TOKEN": "ghp_secret_value", "REACTOR_POLICY": "policy.yaml"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield env
    bootstrap.reset()


def local_ports(state: Path, clock: FixedClock) -> dict[str, object]:
    return {
        "store": SqliteStore(state / "reactor.db"),
        "workspace": LocalWorkspace(state / "workspace.db", APP_ROOT, WORKSPACE_ID),
        "deployer": RecordingDeployer(state / "cd"),
        "notifier": OutboxNotifier(state / "outbox"),
        "clock": clock,
    }


def test_local_only_kinds_are_problems_in_azure_mode_only() -> None:
    local, azure = load_policy(APP_ROOT / "policy.yaml"), load_policy(APP_ROOT / "policy.azure.yaml")
    assert [p.path for p in problems_for_mode(local, "azure")] == LOCAL_KINDS
    assert problems_for_mode(local, "local") == ()
    assert problems_for_mode(azure, "azure") == ()
    [cd, *_] = problems_for_mode(local, "azure")
    assert "read-only in Azure" in cd.reason and "github or azure_devops" in cd.reason


def test_health_answers_misconfigured_with_paths_and_reasons_and_no_secret(azure_env: dict[str, str]) -> None:
    answer = health(func.HttpRequest("GET", "/api/health", body=b""))
    body = json.loads(answer.get_body())
    assert answer.status_code == 503
    assert body["status"] == "misconfigured"
    assert [p["path"] for p in body["problems"]] == LOCAL_KINDS
    assert set(body["problems"][0]) == {"path", "reason"}
    assert "ghp_secret_value" not in answer.get_body().decode()


def test_health_is_ok_with_the_azure_policy(azure_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REACTOR_POLICY", "policy.azure.yaml")
    answer = health(func.HttpRequest("GET", "/api/health", body=b""))
    assert (answer.status_code, json.loads(answer.get_body())) == (200, {"status": "ok"})


def test_an_invalid_policy_is_a_problem_too(
    azure_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: []\ncd_targets: {}\nchannels: {}\n")
    monkeypatch.setenv("REACTOR_POLICY", str(bad))
    body = json.loads(health(func.HttpRequest("GET", "/api/health", body=b"")).get_body())
    assert body["status"] == "misconfigured"
    assert body["problems"][0]["path"] == "bad.yaml" and "default rule" in body["problems"][0]["reason"]


def test_events_are_dead_lettered_acknowledged_and_replayed_by_id_after_the_fix(
    azure_env: dict[str, str], tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    caplog.set_level(logging.ERROR, "mlops_reactor")
    broken = bootstrap.build(Settings.from_env(azure_env), **local_ports(state, clock))
    bootstrap.reset(broken)
    health(func.HttpRequest("GET", "/api/health", body=b""))
    raw = synthetic.build("model_registered", WORKSPACE_ID, model="fraud", version="3")
    grid = func.EventGridEvent(
        id=raw["id"],
        data=raw["data"],
        topic=raw["topic"],
        subject=raw["subject"],
        event_type=raw["eventType"],
        event_time=None,
        data_version="2",
    )

    aml_events(grid)  # returns: the host answers 2xx, Event Grid does not retry for 24 hours
    aml_events(grid)  # a redelivery is kept too

    letters = [d for d in broken.store.dead_letters() if d["event_id"] == raw["id"]]
    assert letters and all("misconfigured" in d["reason"] and "local-cd" in d["reason"] for d in letters)
    assert (letters[0]["raw"]["id"], letters[0]["raw"]["data"]) == (raw["id"], raw["data"])
    assert broken.workspace.jobs() == []  # type: ignore[attr-defined]
    assert len([r for r in caplog.records if "configuration problems" in r.getMessage()]) == 1
    fixed = bootstrap.build(Settings.from_env({**azure_env, "REACTOR_MODE": "local"}), **local_ports(state, clock))
    status, body = http_api.replay(fixed, json.dumps({"event_id": raw["id"], "dry_run": False}).encode(), {})
    assert (status, body["events"][0]["outcome"]) == (200, "handled")
    assert fixed.store.get_record("fraud", "3") is not None


def test_the_sweep_waits_while_misconfigured(azure_env: dict[str, str], tmp_path: Path, clock: FixedClock) -> None:
    broken: Reactor = bootstrap.build(Settings.from_env(azure_env), **local_ports(tmp_path / "s", clock))
    assert broken.problems and broken.sweep() == []
