"""Reconcile's internal events, pure: how they parse, which occurrence they share with real events, what they decide."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.app.settings import APP_ROOT
from shared.core import events as ev
from shared.core.decide import Context, decide
from shared.core.errors import InvalidEvent
from shared.core.event_types import JOB_RECONCILED, RECONCILE_FINDING
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy import load_policy, parse_policy
from shared.core.state import JobRef
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID

POLICY = load_policy(APP_ROOT / "policy.yaml")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TESTING = ModelVersionRecord(model="credit-risk", version="3", stage=Stage.TESTING, test_job="test-1")
JOB = JobRef(
    name="test-1", purpose="offline_test", model="credit-risk", version="3", event_id="e", submitted_at=NOW.isoformat()
)
WATCH = JobRef(
    name="cd:credit-risk:3:staging:test-1",
    purpose="cd_staging",
    model="credit-risk",
    version="3",
    event_id="e",
    submitted_at=NOW.isoformat(),
)


def internal(event_type: str, **data: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "reconcile-1", "type": event_type, "source": WORKSPACE_ID, "data": data}


def context(job: JobRef | None, *records: ModelVersionRecord, metrics: dict[str, float] | None = None) -> Context:
    return Context(
        now=NOW,
        workspace_id=WORKSPACE_ID,
        public_url="https://app",
        records={r.key: r for r in records},
        job=job,
        metrics=metrics or {},
    )


@pytest.mark.parametrize(("status", "kind"), [("Completed", "run_completed"), ("Failed", "run_status_changed")])
def test_a_reconciled_job_parses_to_the_run_event_with_the_same_occurrence(status: str, kind: str) -> None:
    ours = ev.parse(internal(JOB_RECONCILED, runId="test-1", experimentName="x", runStatus=status), internal=True)
    real = ev.parse(synthetic.build(kind, WORKSPACE_ID, run_id="test-1", status=status))
    assert isinstance(ours, ev.RunFinished) and isinstance(real, ev.RunFinished)
    assert ours.status == real.status == status
    assert ours.occurrence == real.occurrence == ("run:test-1:completed" if status == "Completed" else None)


def test_a_failure_keeps_no_occurrence_so_a_storm_stays_on_its_fast_path() -> None:
    completed = ev.parse(synthetic.build("run_completed", WORKSPACE_ID, run_id="r"))
    changed = ev.parse(synthetic.build("run_status_changed", WORKSPACE_ID, run_id="r", status="Completed"))
    canceled = ev.parse(synthetic.build("run_status_changed", WORKSPACE_ID, run_id="r", status="Canceled"))
    assert completed.occurrence == changed.occurrence == "run:r:completed"
    assert canceled.occurrence is None


@pytest.mark.parametrize("purpose", ["offline_test", "retrain"])
def test_a_second_report_of_a_job_already_closed_is_ignored_without_a_page(purpose: str) -> None:
    closed = JobRef(**{**vars(JOB), "purpose": purpose, "status": "Failed"})
    late = ev.parse(synthetic.build("run_status_changed", WORKSPACE_ID, run_id="test-1", status="Failed"))
    plan = decide(late, context(closed, TESTING), POLICY)
    assert plan.ignored == "test-1 was reported failed already" and plan.actions == () and plan.job_status == ()


def test_a_monitor_breach_keeps_its_own_occurrence() -> None:
    breach = ev.parse(synthetic.build("monitor_breach", WORKSPACE_ID))
    assert isinstance(breach, ev.DriftDetected) and breach.occurrence == f"run:{breach.run_id}:breach"


@pytest.mark.parametrize("kind", [JOB_RECONCILED, RECONCILE_FINDING])
def test_our_reconcile_types_never_come_from_event_grid(kind: str) -> None:
    data = {"runId": "r", "experimentName": "x", "runStatus": "Completed", "kind": "job_lost", "job": "r"}
    assert isinstance(ev.parse(internal(kind, **data)), ev.Ignored)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "nonsense", "job": "j"}, "kind"),
        ({"kind": "job_lost"}, "job"),
        ({"kind": "workspace_silent"}, "last_seen"),
        ({"kind": "cd_check", "job": "j", "model": "m", "version": "1", "environment": "qa"}, "environment"),
        (
            {"kind": "cd_check", "job": "j", "model": "m", "version": "1", "environment": "staging", "runUrl": "x"},
            "run_url",
        ),
        ({"kind": "cd_check", "job": "j", "version": "1", "environment": "staging"}, "model"),
    ],
)
def test_a_bad_finding_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEvent, match=field):
        ev.parse(internal(RECONCILE_FINDING, **data), internal=True)


def test_a_completed_reconciled_test_gets_the_same_verdict_as_the_real_event() -> None:
    metrics = {"auc": 0.9, "latency_ms": 100.0}
    ours = ev.parse(internal(JOB_RECONCILED, runId="test-1", experimentName="x", runStatus="Completed"), internal=True)
    real = ev.parse(synthetic.build("run_completed", WORKSPACE_ID, run_id="test-1"))
    mine, theirs = (decide(e, context(JOB, TESTING, metrics=metrics), POLICY) for e in (ours, real))
    assert [a.key for a in mine.actions] == [a.key for a in theirs.actions]
    assert [t.to for t in mine.transitions] == [Stage.CANDIDATE]


def finding(**data: Any) -> ev.Event:
    return ev.parse(internal(RECONCILE_FINDING, **data), internal=True)


def test_a_lost_job_alerts_the_platform_channels_once_and_closes_the_job() -> None:
    plan = decide(finding(kind="job_lost", job="test-1"), context(JOB, TESTING), POLICY)
    assert [(a.kind, a.key) for a in plan.actions] == [("notify", "notify:job_lost:lost:test-1:oncall")]
    assert plan.job_status == (("test-1", "Lost"),)


def test_a_platform_channel_of_its_own_is_used_for_lost_jobs() -> None:
    document = {**POLICY.model_dump(mode="json"), "reconcile": {"channels": ["drift"]}}
    plan = decide(finding(kind="job_lost", job="test-1"), context(JOB, TESTING), parse_policy(document))
    assert [a.key for a in plan.actions] == ["notify:job_lost:lost:test-1:drift"]


def test_a_finding_about_a_job_that_is_no_longer_open_changes_nothing() -> None:
    done = JobRef(**{**vars(JOB), "status": "Completed"})
    for job in (None, done):
        plan = decide(finding(kind="job_lost", job="test-1"), context(job, TESTING), POLICY)
        assert plan.ignored and not plan.actions and not plan.job_status


def cd_check() -> ev.Event:
    return finding(
        kind="cd_check",
        job=WATCH.name,
        model="credit-risk",
        version="3",
        environment="staging",
        runUrl="https://github.com/o/r/actions/runs/1",
    )


def test_an_unreported_cd_request_alerts_the_rule_channels_with_the_run_link() -> None:
    candidate = ModelVersionRecord(model="credit-risk", version="3", stage=Stage.CANDIDATE, gate_passed=True)
    plan = decide(cd_check(), context(WATCH, candidate), POLICY)
    assert {a.kind for a in plan.actions} == {"notify"}
    assert all(a.key.startswith(f"notify:cd_overdue:{WATCH.name}:") for a in plan.actions)
    assert all(getattr(a, "links", {}) == {"CD run": "https://github.com/o/r/actions/runs/1"} for a in plan.actions)
    assert plan.job_status == ((WATCH.name, "Overdue"),)


def test_a_cd_request_whose_version_moved_on_settles_without_a_notice() -> None:
    staged = ModelVersionRecord(model="credit-risk", version="3", stage=Stage.STAGING, gate_passed=True)
    plan = decide(cd_check(), context(WATCH, staged), POLICY)
    assert plan.actions == () and plan.job_status == ((WATCH.name, "Reported"),)


def test_a_silent_workspace_is_noticed_once_per_last_event() -> None:
    plan = decide(finding(kind="workspace_silent", lastSeen="2026-11-22T07:00:00+00:00"), context(None), POLICY)
    assert [a.key for a in plan.actions] == ["notify:workspace_silent:silent:2026-11-22T07:00:00+00:00:oncall"]
    assert finding(kind="workspace_silent", lastSeen="t").occurrence == "finding:workspace_silent:t"
