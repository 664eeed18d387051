"""Two different events about one model version decide one after the other: real threads on one shared state."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.tools import synthetic
from tests.conftest import TEST_RG, TEST_SUBSCRIPTION, TEST_WORKSPACE
from tests.functional.conftest import StoreFactory
from tests.functional.driver import APPROVER, Driver
from tests.functional.races import CallLog, host, retried, to_staging, together

RACES = 10


def fresh(tmp_path: Path, n: int) -> Settings:
    return Settings.from_env(
        {
            "REACTOR_MODE": "local",
            "REACTOR_STATE_DIR": str(tmp_path / f"race-{n}"),
            "AZURE_SUBSCRIPTION_ID": TEST_SUBSCRIPTION,
            "AZURE_RESOURCE_GROUP": TEST_RG,
            "AZUREML_WORKSPACE_NAME": TEST_WORKSPACE,
        }
    )


def two_hosts(tmp_path: Path, n: int, clock: FixedClock, state: StoreFactory) -> tuple[Driver, Driver, CallLog]:
    """Two hosts on one state (their own connections to it), sharing the workspace, CD and outbox."""
    settings = fresh(tmp_path, n)
    log = CallLog(tmp_path / f"calls-{n}.jsonl")
    folder = tmp_path / f"race-{n}"
    return (
        Driver(host(settings, clock, log, store=state(folder))),
        Driver(host(settings, clock, log, store=state(folder))),
        log,
    )


@pytest.mark.parametrize("n", range(RACES))
def test_approve_and_reject_at_once_decide_one_after_the_other(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, b, log = two_hosts(tmp_path, n, clock, shared_state)
    to_staging(a)
    approve, reject = together(
        lambda: retried(lambda: a.approve("1")), lambda: retried(lambda: b.approve("1", reject=True))
    )
    stage = a.stage("1")
    production = log.entries(kind="cd", environment="production")
    assert sorted([approve.outcome, reject.outcome]) == ["handled", "rejected"]
    loser = reject if approve.outcome == "handled" else approve
    assert "already" in (loser.error or "") and f"by {APPROVER}" in (loser.error or "")
    if stage == "rejected":
        assert production == []  # never a production request for a version whose record says rejected
    else:
        assert stage == "approved" and len(production) == 1


@pytest.mark.parametrize("n", range(RACES))
def test_the_same_approval_twice_at_once_sends_one_production_request(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, b, log = two_hosts(tmp_path, n, clock, shared_state)
    to_staging(a)
    outcomes = together(lambda: retried(lambda: a.approve("1")), lambda: retried(lambda: b.approve("1")))
    assert sorted(o.outcome for o in outcomes) == ["handled", "rejected"]
    assert len(log.entries(kind="cd", environment="production")) == 1


@pytest.mark.parametrize("n", range(RACES))
def test_two_registrations_of_one_version_submit_one_test_job(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, b, _ = two_hosts(tmp_path, n, clock, shared_state)
    first = synthetic.build("model_registered", a.reactor.workspace_id, version="1")
    second = synthetic.build("model_registered", a.reactor.workspace_id, version="1")  # another event id
    together(lambda: retried(lambda: a.deliver(first)), lambda: retried(lambda: b.deliver(second)))
    assert len(a.workspace.jobs()) == 1


@pytest.mark.parametrize("n", range(RACES))
def test_staging_reported_by_two_sources_at_once_asks_for_approval_once(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, b, log = two_hosts(tmp_path, n, clock, shared_state)
    a.register()
    a.finish("offline_test", auc=0.9, latency_ms=100)
    deployed = synthetic.build(
        "model_deployed", a.reactor.workspace_id, models="credit-risk:1", service="credit-risk-staging"
    )
    together(lambda: retried(lambda: a.report("1", "staging")), lambda: retried(lambda: b.deliver(deployed)))
    assert a.stage("1") == "staging"
    assert len(log.entries(kind="notify", template="approval_requested")) == 1


@pytest.mark.parametrize("n", range(RACES))
def test_production_reports_of_two_approved_versions_leave_one_in_production(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, b, _ = two_hosts(tmp_path, n, clock, shared_state)
    for version in ("1", "2"):
        to_staging(a, version)
        a.approve(version)
    together(lambda: retried(lambda: a.report("1", "production")), lambda: retried(lambda: b.report("2", "production")))
    stages = sorted(str(r.stage) for r in a.reactor.store.records("credit-risk"))
    assert stages == ["production", "superseded"]


@pytest.mark.parametrize("delivered_twice", [1, 16])
def test_concurrent_deliveries_of_one_event_have_one_effect(
    tmp_path: Path, clock: FixedClock, delivered_twice: int, shared_state: StoreFactory
) -> None:
    a, _, log = two_hosts(tmp_path, 0, clock, shared_state)
    a.register()
    events = a.workspace.complete_job(a.queued("offline_test")["name"], "Completed", {"auc": 0.9, "latency_ms": 1})
    hosts = [
        Driver(host(fresh(tmp_path, 0), clock, log, store=shared_state(tmp_path / "race-0")))
        for _ in range(delivered_twice)
    ]
    together(*[lambda d=d, i=i: retried(lambda: d.deliver(events[i % len(events)])) for i, d in enumerate(hosts)])
    assert len(log.entries(kind="cd", environment="staging")) == 1
    assert len(log.entries(kind="notify", template="verdict")) == 1


def _decide_in_a_process(
    settings: Settings, clock: FixedClock, log_path: Path, state: StoreFactory, folder: Path, reject: bool, gate: Any
) -> None:
    drive = Driver(host(settings, clock, CallLog(log_path), store=state(folder)))
    gate.wait()
    retried(lambda: drive.approve("1", reject=reject))


@pytest.mark.parametrize("n", range(3))
def test_approve_and_reject_from_two_processes_decide_one_after_the_other(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, _, log = two_hosts(tmp_path, n, clock, shared_state)
    to_staging(a)
    context = multiprocessing.get_context("fork")
    gate = context.Barrier(2)
    args = (fresh(tmp_path, n), clock, log.path, shared_state, tmp_path / f"race-{n}")
    processes = [context.Process(target=_decide_in_a_process, args=(*args, reject, gate)) for reject in (False, True)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    decisions = [
        e for e in a.reactor.store.ledger(model="credit-risk", version="1") if "ApprovalDecided" in e.event_type
    ]
    assert sorted(e.outcome for e in decisions) == ["handled", "rejected"]  # the refusal is in the history too
    [refused] = [e for e in decisions if e.outcome == "rejected"]
    assert "already" in str((refused.detail or {}).get("error"))
    production = log.entries(kind="cd", environment="production")
    assert (a.stage("1"), len(production)) in (("approved", 1), ("rejected", 0))
