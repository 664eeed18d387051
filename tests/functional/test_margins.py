"""Boundaries the decisions must get exactly right (each test kills a mutant that survived before)."""

from __future__ import annotations

import pytest

from shared.core.actions import TriggerCD
from shared.core.clock import FixedClock
from shared.core.errors import GateViolation
from shared.core.gate import evaluate
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy import Gate, Threshold
from shared.core.state import Commit, Intent, IntentStatus, LedgerEntry
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from shared.web.approval_page import render
from tests.functional.driver import Driver


def test_a_metric_exactly_at_its_bound_passes_and_the_exact_margin_beats_the_champion() -> None:
    gate = Gate(
        thresholds=(Threshold(metric="auc", min=0.5), Threshold(metric="latency_ms", max=250)),
        primary_metric="auc",
        champion_margin=0.25,
    )
    assert evaluate(gate, {"auc": 0.5, "latency_ms": 250}).passed
    assert evaluate(gate, {"auc": 1.25, "champion_auc": 1.0, "latency_ms": 250}).passed  # exactly the margin
    assert not evaluate(gate, {"auc": 1.0, "champion_auc": 1.0, "latency_ms": 250}).passed
    assert not evaluate(gate, {"auc": 0.5, "latency_ms": 250.5}).passed


@pytest.mark.parametrize(("minutes", "retrains"), [(359, False), (360, True)])
def test_retraining_resumes_exactly_when_the_cooldown_ends(
    reactor: Reactor, clock: FixedClock, minutes: int, retrains: bool
) -> None:
    drive = Driver(reactor)

    def drift() -> bool:
        [o] = drive.deliver(synthetic.build("dataset_drift", reactor.workspace_id, monitor="credit-risk-monitor"))
        return any(a["kind"] == "submit_job" for a in o.actions)

    assert drift()
    drive.finish("retrain")
    clock.advance(minutes=minutes)  # the policy's cooldown is 360 minutes
    assert drift() is retrains


def test_an_alert_window_is_minutes_wide(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    clock.advance(seconds=-(int(clock.now().timestamp()) % 900))  # the start of a 15-minute window

    def status() -> str:
        event = synthetic.build("run_status_changed", reactor.workspace_id, experiment="nightly", status="Failed")
        [o] = drive.deliver(event)
        return str(o.actions[0]["status"])

    assert status() == "done"
    clock.advance(minutes=14, seconds=59)
    assert status() == "grouped"
    clock.advance(seconds=1)
    assert status() == "done"


@pytest.mark.parametrize("suffix", ["x", "/jobs", "-other"])
def test_only_the_configured_workspace_is_trusted_not_a_name_that_contains_it(reactor: Reactor, suffix: str) -> None:
    for source in (reactor.workspace_id + suffix, reactor.workspace_id[:-1]):
        event = synthetic.build("model_registered", reactor.workspace_id)
        event["topic" if "topic" in event else "source"] = source
        assert reactor.handle(event).outcome == "rejected"


def test_the_executor_never_sends_a_version_to_production_that_is_not_approved(reactor: Reactor) -> None:
    sent: list[TriggerCD] = []

    class Deployer:
        def deploy(self, request: TriggerCD) -> object:
            sent.append(request)
            raise AssertionError("a production request for a version that is not approved left")

    request = TriggerCD(
        key="cd:m:1:production",
        environment="production",
        target="local-cd",
        model="m",
        version="1",
        approved_by="someone",
    )
    staging = ModelVersionRecord(model="m", version="1", stage=Stage.STAGING, gate_passed=True)
    executor = reactor._executor.__class__(workspace=reactor.workspace, deployer=Deployer(), notifier=reactor.notifier)
    result = executor.run(Intent(key=request.key, action=request.describe()), {"m:1": staging}, "now")
    assert result.status is IntentStatus.FAILED and "not approved" in str(result.result["error"]) and not sent
    with pytest.raises(GateViolation):
        executor._perform(request, {})


def test_the_approval_page_escapes_the_history(reactor: Reactor, clock: FixedClock) -> None:
    step = {
        "at": "2026-01-01T00:00:00",
        "from": "<i>staging</i>",
        "to": "approved",
        "reason": "<img src=x onerror=alert(1)>",
        "by": "<b>eve</b>",
    }
    record = ModelVersionRecord(model="m", version="1", stage=Stage.STAGING, history=(step,))
    entry = LedgerEntry(event_id="e", event_type="t", at="", outcome="handled")
    reactor.store.commit(
        Commit(claim_id="e", occurrence=None, raw={}, ledger=entry, records=(record,), subjects={"m": 0}),
        clock.now(),
        60,
    )
    _, html = render(reactor, "m", "1")
    assert "<img" not in html and "<b>eve" not in html and "<i>staging" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;b&gt;eve&lt;/b&gt;" in html
