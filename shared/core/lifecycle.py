"""Model-version stages and the only legal transitions between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from shared.core.errors import GateViolation


class Stage(StrEnum):
    """Where a model version stands in the loop."""

    REGISTERED = "registered"
    TESTING = "testing"
    REJECTED = "rejected"
    CANDIDATE = "candidate"
    STAGING = "staging"
    APPROVED = "approved"
    PRODUCTION = "production"
    SUPERSEDED = "superseded"


LEGAL: dict[Stage, frozenset[Stage]] = {
    Stage.REGISTERED: frozenset({Stage.TESTING}),
    Stage.TESTING: frozenset({Stage.REJECTED, Stage.CANDIDATE}),
    Stage.REJECTED: frozenset({Stage.TESTING}),
    Stage.CANDIDATE: frozenset({Stage.STAGING, Stage.REJECTED}),
    Stage.STAGING: frozenset({Stage.APPROVED, Stage.REJECTED}),
    Stage.APPROVED: frozenset({Stage.PRODUCTION, Stage.REJECTED}),  # rejected: an endpoint rollout rolled back
    Stage.PRODUCTION: frozenset({Stage.SUPERSEDED}),
    Stage.SUPERSEDED: frozenset(),
}


@dataclass(frozen=True, kw_only=True)
class Transition:
    """One step of a model version's life, as a decision asks for it."""

    model: str
    version: str
    to: Stage
    reason: str
    by: str | None = None
    job: str | None = None
    metrics: Mapping[str, float] | None = None


@dataclass(frozen=True, kw_only=True)
class ModelVersionRecord:
    """What we know of one model version; `revision` guards concurrent writers."""

    model: str
    version: str
    stage: Stage = Stage.REGISTERED
    revision: int = 0
    gate_passed: bool = False
    approved_by: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    test_job: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    history: tuple[dict[str, Any], ...] = ()
    registered_by: str | None = None  # who registered or trained it, when the registration says (four eyes)
    approval: dict[str, Any] = field(default_factory=dict)  # the open approval request (see core/approvals.py)
    waiting_until: str | None = None  # when the open approval request expires (ISO); None: none waiting

    @property
    def key(self) -> str:
        """`model:version`."""
        return f"{self.model}:{self.version}"


def apply(record: ModelVersionRecord, step: Transition, at: str) -> ModelVersionRecord:
    """Return the record after `step`, or raise GateViolation if the lifecycle forbids it."""
    if step.to not in LEGAL[record.stage]:
        raise GateViolation(
            f"{record.key}: {record.stage} -> {step.to} is not allowed "
            f"(from {record.stage} only {', '.join(sorted(LEGAL[record.stage])) or 'nothing'})"
        )
    if step.to is Stage.STAGING and not record.gate_passed:
        raise GateViolation(f"{record.key}: staging needs a passed gate")
    if step.to is Stage.APPROVED and not step.by:
        raise GateViolation(f"{record.key}: approval needs a recorded approver")
    if step.to is Stage.PRODUCTION and not record.approved_by:
        raise GateViolation(f"{record.key}: production needs a recorded human approval")
    entry = {"at": at, "from": str(record.stage), "to": str(step.to), "reason": step.reason, "by": step.by}
    return replace(
        record,
        stage=step.to,
        gate_passed=record.gate_passed or step.to is Stage.CANDIDATE,
        approved_by=step.by if step.to is Stage.APPROVED else record.approved_by,
        test_job=step.job or record.test_job,
        metrics=dict(step.metrics) if step.metrics is not None else record.metrics,
        history=(*record.history, entry),
        waiting_until=record.waiting_until if step.to is Stage.STAGING else None,
    )


@dataclass(frozen=True, kw_only=True)
class Amend:
    """A change to a record that is not a stage step (an approval request or a vote), kept in its history."""

    model: str
    version: str
    note: str
    approval: Mapping[str, Any]
    waiting_until: str | None = None
    by: str | None = None


def amend(record: ModelVersionRecord, change: Amend, at: str) -> ModelVersionRecord:
    """Return the record with `change` applied and, when it has a note, noted in its history (no stage moves)."""
    stage = str(record.stage)  # no step: from and to are the same stage; `kind` tells it from a step
    entry = {"at": at, "from": stage, "to": stage, "reason": change.note, "by": change.by, "kind": "approval"}
    history = (*record.history, entry) if change.note else record.history
    return replace(record, approval=dict(change.approval), waiting_until=change.waiting_until, history=history)
