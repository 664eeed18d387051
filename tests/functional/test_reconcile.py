"""Reconcile on the local workspace simulator: what no event told is found, fed through the core once, and a late
real event is a duplicate. The main story runs on each Store (SQLite, and Table Storage on Azurite)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.actions import TriggerCD
from shared.core.clock import FixedClock
from shared.core.policy_reconcile import Reconcile
from shared.core.ports import Receipt
from shared.engine.reactor import Reactor
from shared.engine.reconcile import Report, reconcile
from shared.tools import synthetic
from tests.functional.conftest import StoreFactory
from tests.functional.driver import Driver

PAST_JOB_TIMEOUT = 181  # minutes: the default job timeout is 180
PAST_CD_TIMEOUT = 121  # minutes: the default CD report timeout is 120


def with_policy(reactor: Reactor, **section: Any) -> Reactor:
    """The same app with the policy's reconcile section changed."""
    return replace(reactor, policy=reactor.policy.model_copy(update={"reconcile": Reconcile(**section)}))


def real_events(drive: Driver, job: str, status: str = "Completed") -> list[dict[str, Any]]:
    """The events Azure ML would have sent for the job (built as the simulator builds them)."""
    fields = {"run_id": job, "experiment": "mlops-reactor-offline_test", "status": status}
    kind = "run_completed" if status == "Completed" else "run_status_changed"
    events = [synthetic.build(kind, drive.reactor.workspace_id, **fields)]
    if status == "Completed":
        events.append(synthetic.build("run_status_changed", drive.reactor.workspace_id, **fields))
    return events


def silent_finish(drive: Driver, status: str = "Completed", auc: float = 0.9) -> str:
    """The offline test finishes in the workspace; Event Grid sends nothing."""
    job = str(drive.queued("offline_test")["name"])
    drive.workspace.complete_job(job, status, {"auc": auc, "latency_ms": 100}, emit=False)
    return job


def outcomes(report: Report) -> list[tuple[str, str]]:
    return [(o.type, str(o.outcome)) for o in report.outcomes]


@pytest.fixture
def shared_reactor(settings: Settings, clock: FixedClock, tmp_path: Path, shared_state: StoreFactory) -> Reactor:
    return bootstrap.build(settings, clock=clock, store=shared_state(tmp_path))


def test_a_job_finished_without_its_event_is_found_decided_once_and_the_late_event_is_a_duplicate(
    shared_reactor: Reactor, clock: FixedClock
) -> None:
    drive = Driver(shared_reactor)
    drive.register()
    job = silent_finish(drive)
    assert outcomes(reconcile(drive.reactor)) == []  # within the timeout: nothing to ask yet
    clock.advance(minutes=PAST_JOB_TIMEOUT)
    report = reconcile(drive.reactor)
    assert report.workspace_calls == 1 and report.checked == 1
    assert outcomes(report) == [("MLOpsReactor.JobReconciled", "handled")]
    assert drive.stage("1") == "candidate"
    assert [(r.environment, r.version) for r in drive.cd.requests()] == [("staging", "1")]
    assert len(drive.notices("verdict")) == 1
    late = drive.deliver(*real_events(drive, job))
    assert [str(o.outcome) for o in late] == ["duplicate", "duplicate"]
    again = reconcile(drive.reactor)
    assert outcomes(again) == [] and again.workspace_calls == 0  # the job is no longer in flight
    assert len(drive.cd.requests()) == 1 and len(drive.notices("verdict")) == 1


def test_a_failed_job_without_its_event_rejects_the_version_and_the_late_failure_changes_nothing(
    reactor: Reactor, clock: FixedClock
) -> None:
    drive = Driver(reactor)
    drive.register()
    job = silent_finish(drive, "Failed")
    clock.advance(minutes=PAST_JOB_TIMEOUT)
    assert outcomes(reconcile(reactor)) == [("MLOpsReactor.JobReconciled", "handled")]
    assert drive.stage("1") == "rejected"
    assert len(drive.notices("test_failed")) == 1
    clock.advance(minutes=30)  # another alert window
    assert [str(o.outcome) for o in drive.deliver(*real_events(drive, job, "Failed"))] == ["ignored"]
    assert len(drive.notices("test_failed")) == 1 and drive.cd.requests() == []
    assert len(drive.notices("run_failed")) == 1  # paged once, though the late event falls in another window


def test_a_running_job_is_left_alone(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    drive.register()
    clock.advance(minutes=PAST_JOB_TIMEOUT)
    report = reconcile(reactor)
    assert report.workspace_calls == 1 and outcomes(report) == []
    assert drive.stage("1") == "testing"


def test_a_lost_job_is_alerted_once(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    drive.register()
    job = str(drive.queued("offline_test")["name"])
    drive.workspace.lose_job(job)
    clock.advance(minutes=PAST_JOB_TIMEOUT)
    assert outcomes(reconcile(reactor)) == [("MLOpsReactor.ReconcileFinding", "handled")]
    lost = drive.notices("job_lost")
    assert len(lost) == 1 and lost[0].facts["Job"] == job and lost[0].channel == "oncall"
    got = reactor.store.get_job(job)
    assert got is not None and got.status == "Lost"
    clock.advance(minutes=10)
    assert outcomes(reconcile(reactor)) == []
    assert len(drive.notices("job_lost")) == 1


def test_two_reconcile_runs_at_once_make_one_effect(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    drive.register()
    silent_finish(drive)
    clock.advance(minutes=PAST_JOB_TIMEOUT)
    gate = threading.Barrier(2)
    reports: list[Report] = []

    def run() -> None:
        gate.wait()
        reports.append(reconcile(reactor))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fed = sorted(str(o.outcome) for r in reports for o in r.outcomes)
    assert "handled" in fed and fed.count("handled") == 1, (fed, [r.errors for r in reports])
    assert len(drive.cd.requests()) == 1 and len(drive.notices("verdict")) == 1
    assert drive.stage("1") == "candidate"


class LinkedDeployer:
    """The CD recorder, answering with a run link as GitHub or Azure DevOps would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def deploy(self, request: TriggerCD) -> Receipt:
        receipt: Receipt = self.inner.deploy(request)
        return Receipt(ref=receipt.ref, url=f"https://cd.example/runs/{receipt.ref}")


def test_a_cd_request_never_reported_alerts_its_owners_once_with_the_run_link(
    settings: Settings, clock: FixedClock
) -> None:
    plain = bootstrap.build(settings, clock=clock)
    app = bootstrap.build(settings, clock=clock, deployer=LinkedDeployer(plain.deployer))
    drive = Driver(app)
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    clock.advance(minutes=PAST_CD_TIMEOUT - 2)
    assert outcomes(reconcile(app)) == []  # not overdue yet
    clock.advance(minutes=2)
    report = reconcile(app)
    assert outcomes(report) == [("MLOpsReactor.ReconcileFinding", "handled")]
    overdue = drive.notices("cd_overdue")
    assert [n.channel for n in overdue] == ["data-science", "approvals"]  # the model rule's channels
    assert overdue[0].facts["Environment"] == "staging" and overdue[0].facts["Model"] == "credit-risk:1"
    assert overdue[0].links["CD run"].startswith("https://cd.example/runs/local-cd-")
    assert overdue[0].facts["CD request"] == "done"  # it was sent; CD just never reported back
    clock.advance(minutes=PAST_CD_TIMEOUT)
    assert outcomes(reconcile(app)) == []
    assert len(drive.notices("cd_overdue")) == len(overdue)
    assert drive.report("1", "staging").outcome == "handled"  # a late report still promotes
    assert drive.stage("1") == "staging"


def test_a_reported_cd_request_settles_quietly(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    clock.advance(minutes=PAST_CD_TIMEOUT)
    report = reconcile(reactor)
    assert outcomes(report) == [("MLOpsReactor.ReconcileFinding", "handled")]
    assert "settled" in " ".join(report.outcomes[0].notes)
    assert drive.notices("cd_overdue") == []
    assert outcomes(reconcile(reactor)) == []


def test_the_heartbeat_notices_a_silent_workspace_once_per_silence(reactor: Reactor, clock: FixedClock) -> None:
    app = with_policy(reactor, heartbeat_minutes=60)
    drive = Driver(app)
    assert outcomes(reconcile(app)) == []  # never heard from the workspace: nothing to compare with
    drive.register()
    clock.advance(minutes=59)
    reconcile(app)
    assert drive.notices("workspace_silent") == []
    clock.advance(minutes=2)
    reconcile(app)
    clock.advance(minutes=30)
    reconcile(app)
    assert len(drive.notices("workspace_silent")) == 1  # the same silence: once
    drive.register()  # events resume, then stop again
    clock.advance(minutes=61)
    reconcile(app)
    assert len(drive.notices("workspace_silent")) == 2


def test_the_heartbeat_is_off_by_default(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    drive.register()
    clock.advance(days=3)
    reconcile(reactor)
    assert drive.notices("workspace_silent") == []


def test_a_run_is_bounded_and_the_next_run_goes_on_from_its_bookmark(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    for _ in range(5):
        drive.register()  # five versions testing; none finishes
        clock.advance(seconds=1)
    clock.advance(minutes=PAST_JOB_TIMEOUT)
    seen = []
    for _ in range(3):
        report = reconcile(reactor, limit=2)
        seen.append((report.checked, report.more))
    assert seen == [(2, ["offline_test"]), (2, ["offline_test"]), (1, [])]
    assert reconcile(reactor, limit=2).checked == 2  # back to the oldest


def test_stalled_events_are_swept(reactor: Reactor, clock: FixedClock) -> None:
    report = reconcile(reactor)
    assert report.swept == 0 and report.errors == []


def test_the_bench_reconciles_every_job_once_in_bounded_runs() -> None:
    from bench.reconcile import run

    figures = run(50)
    assert figures["in_flight"] == 50 and figures["checked"] == 50 and figures["runs"] == 1
    assert figures["fed"] == {"JobReconciled:handled": 40, "ReconcileFinding:handled": 5}
    assert figures["left_running"] == 5
    assert figures["workspace_calls"] == {"job_status": 55, "job_metrics": 30, "set_model_tags": 40}


def test_the_timer_function_reconciles_the_installed_app(
    reactor: Reactor, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from azure.functions.timer import TimerRequest

    from functions.reconcile import reconcile as timer

    monkeypatch.setenv("REACTOR_MODE", "local")
    bootstrap.reset(reactor)
    try:
        drive = Driver(reactor)
        drive.register()
        silent_finish(drive)
        clock.advance(minutes=PAST_JOB_TIMEOUT)
        with caplog.at_level("INFO", logger="mlops_reactor"):
            timer(TimerRequest(past_due=False))
        assert drive.stage("1") == "candidate"
        assert "reconcile: checked 1, 1 workspace call(s), fed {'handled': 1}" in caplog.text
    finally:
        bootstrap.reset()
