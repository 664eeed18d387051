"""A retrain budget on the simulator: drift above it does not retrain and pages the owners once per window;
retraining resumes when the window passes or a person resets the budget (recorded, through the core)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.core.clock import FixedClock
from shared.core.policy import parse_policy
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.functional.driver import Driver


@pytest.fixture
def drive(reactor: Reactor) -> Driver:
    document = reactor.policy.model_dump(mode="json")
    document["drift"]["cooldown_minutes"] = 0
    document["drift"]["rules"][0] |= {"retrain_budget": {"max": 2, "window_hours": 24}, "owners": ["risk@contoso"]}
    reactor.policy = parse_policy(document)
    return Driver(reactor)


def drift(drive: Driver, run: str) -> str:
    [outcome] = drive.deliver(synthetic.build("monitor_breach", drive.reactor.workspace_id, run_id=run))
    if any(a["kind"] == "submit_job" for a in outcome.actions):
        drive.finish("retrain")
        return "retrained"
    return "; ".join(outcome.notes)


def test_drift_above_the_budget_pages_once_then_resumes_when_the_window_passes(
    drive: Driver, clock: FixedClock
) -> None:
    assert drift(drive, "m1") == "retrained"
    clock.advance(seconds=3600)
    assert drift(drive, "m2") == "retrained"
    clock.advance(seconds=3600)
    assert "retrain budget of credit-risk used up (2 of 2 in 24 h)" in drift(drive, "m3")
    clock.advance(seconds=3600)
    drift(drive, "m4")
    [page] = drive.notices("retrain_budget")  # once for this window, however often drift comes
    assert page.facts["Owners"] == "risk@contoso" and page.facts["Retrains counted"] == "2"
    assert page.facts["Retraining resumes"].startswith("2026-11-23T09:00:00")
    clock.advance(hours=21)  # exactly 24 h after m1: it leaves the window, one slot frees
    assert drift(drive, "m5") == "retrained"
    assert "used up" in drift(drive, "m6")
    assert len(drive.notices("retrain_budget")) == 2  # a new window (m2 is now the oldest counted): paged again
    assert len([j for j in drive.workspace.jobs() if j["purpose"] == "retrain"]) == 3


def test_a_person_resets_the_budget_and_drift_retrains_again(drive: Driver, clock: FixedClock) -> None:
    drift(drive, "m1")
    drift(drive, "m2")
    assert "used up" in drift(drive, "m3")
    clock.advance(seconds=60)
    reset = drive.internal("MLOpsReactor.RetrainBudgetReset", model="credit-risk", by="ml-lead@contoso", why="fixed")
    assert reset.outcome == "handled"
    assert drive.reactor.store.budget_reset("credit-risk") == clock.now().isoformat()
    [notice] = drive.notices("retrain_budget_reset")
    assert notice.facts["Reset by"] == "ml-lead@contoso"
    [entry] = drive.reactor.store.ledger(model="credit-risk", limit=1)
    assert entry.event_type == "MLOpsReactor.RetrainBudgetReset"
    clock.advance(seconds=60)
    assert drift(drive, "m4") == "retrained"
    assert drift(drive, "m5") == "retrained"
    assert "used up" in drift(drive, "m6")


def test_a_reset_for_a_model_no_rule_retrains_is_ignored(drive: Driver) -> None:
    reset = drive.internal("MLOpsReactor.RetrainBudgetReset", model="churn", by="ml-lead@contoso", why="x")
    assert reset.outcome == "ignored" and "no drift rule retrains churn" in reset.notes[0]


def test_without_a_budget_drift_keeps_retraining(reactor: Reactor, clock: FixedClock) -> None:
    document = reactor.policy.model_dump(mode="json")
    document["drift"]["cooldown_minutes"] = 0
    reactor.policy = parse_policy(document)
    drive = Driver(reactor)
    for n in range(5):
        assert drift(drive, f"m{n}") == "retrained"
        clock.advance(seconds=timedelta(minutes=1).total_seconds())
