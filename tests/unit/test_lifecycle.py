"""Lifecycle: only the legal transitions; production only through gate, staging and a recorded approval."""

import pytest

from shared.core.errors import GateViolation
from shared.core.lifecycle import LEGAL, ModelVersionRecord, Stage, Transition, apply

AT = "2026-11-22T09:00:00+00:00"


def step(record: ModelVersionRecord, to: Stage, by: str | None = None) -> ModelVersionRecord:
    return apply(record, Transition(model=record.model, version=record.version, to=to, reason="t", by=by), AT)


def walk(*stages: Stage, by: str | None = "alice") -> ModelVersionRecord:
    record = ModelVersionRecord(model="m", version="1")
    for stage in stages:
        record = step(record, stage, by if stage is Stage.APPROVED else None)
    return record


def test_the_happy_path_reaches_production_with_a_recorded_approver() -> None:
    record = walk(Stage.TESTING, Stage.CANDIDATE, Stage.STAGING, Stage.APPROVED, Stage.PRODUCTION)
    assert record.stage is Stage.PRODUCTION
    assert record.approved_by == "alice"
    assert [h["to"] for h in record.history] == ["testing", "candidate", "staging", "approved", "production"]


@pytest.mark.parametrize("start", list(Stage))
def test_production_is_entered_only_from_approved(start: Stage) -> None:
    record = ModelVersionRecord(model="m", version="1", stage=start, gate_passed=True, approved_by="a")
    if start is Stage.APPROVED:
        assert step(record, Stage.PRODUCTION).stage is Stage.PRODUCTION
    else:
        with pytest.raises(GateViolation):
            step(record, Stage.PRODUCTION)


def test_approval_needs_a_named_approver() -> None:
    record = walk(Stage.TESTING, Stage.CANDIDATE, Stage.STAGING)
    with pytest.raises(GateViolation, match="recorded approver"):
        step(record, Stage.APPROVED, by=None)


def test_staging_needs_a_passed_gate_even_if_the_stage_was_forged() -> None:
    forged = ModelVersionRecord(model="m", version="1", stage=Stage.CANDIDATE, gate_passed=False)
    with pytest.raises(GateViolation, match="passed gate"):
        step(forged, Stage.STAGING)


def test_production_needs_approval_even_if_the_stage_was_forged() -> None:
    forged = ModelVersionRecord(model="m", version="1", stage=Stage.APPROVED, gate_passed=True)
    with pytest.raises(GateViolation, match="human approval"):
        step(forged, Stage.PRODUCTION)


def test_illegal_transition_names_what_is_allowed_and_changes_nothing() -> None:
    record = walk(Stage.TESTING)
    with pytest.raises(GateViolation, match="testing -> staging is not allowed") as caught:
        step(record, Stage.STAGING)
    assert "candidate" in str(caught.value)
    assert record.stage is Stage.TESTING


def test_superseded_is_final() -> None:
    assert LEGAL[Stage.SUPERSEDED] == frozenset()


def test_each_step_keeps_where_it_came_from_its_job_and_its_metrics() -> None:
    from shared.core.lifecycle import ModelVersionRecord, Stage, Transition, apply

    record = ModelVersionRecord(model="m", version="1")
    testing = apply(record, Transition(model="m", version="1", to=Stage.TESTING, reason="r", job="job-1"), "t1")
    assert testing.test_job == "job-1" and testing.history[-1]["from"] == "registered"
    passed = apply(
        testing,
        Transition(model="m", version="1", to=Stage.CANDIDATE, reason="gate passed", metrics={"auc": 0.9}),
        "t2",
    )
    assert passed.test_job == "job-1" and passed.metrics == {"auc": 0.9} and passed.gate_passed
    rejected = apply(testing, Transition(model="m", version="1", to=Stage.REJECTED, reason="gate failed"), "t2")
    assert not rejected.gate_passed and rejected.metrics == {}
