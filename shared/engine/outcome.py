"""What happened to one event, as the replay contract and the ledger show it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.core import events as ev
from shared.core.plan import Plan
from shared.core.state import Intent, IntentStatus, LedgerEntry


class Result(StrEnum):
    """An event's outcome."""

    HANDLED = "handled"
    IGNORED = "ignored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class ActionStatus(StrEnum):
    """An action's status in an outcome."""

    PLANNED = "planned"  # a dry run, or committed and not carried out yet
    DONE = "done"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"
    GROUPED = "grouped"  # an alert whose window another event owns
    ALREADY_DONE = "already_done"  # the same effect (same key) was carried out for another event or attempt
    ELSEWHERE = "in_progress_elsewhere"  # the same effect is committed by another event still running
    SILENCED = "silenced"  # a notice an active silence held back: recorded (with the silence id), not sent


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What happened to one event: handled, ignored, duplicate or rejected; and each action's result."""

    id: str
    type: str
    outcome: str  # a Result
    actions: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()
    env: str | None = None  # dev / test / prd, when the policy lists workspaces

    def as_json(self) -> dict[str, Any]:
        """The replay contract's per-event object (with `env` only when the event has one)."""
        shown = {
            "id": self.id,
            "type": self.type,
            "outcome": str(self.outcome),
            "actions": list(self.actions),
            "error": self.error,
            "notes": list(self.notes),
        }
        return {**shown, "env": self.env} if self.env else shown


_STATUS = {
    IntentStatus.DONE: ActionStatus.DONE,
    IntentStatus.FAILED: ActionStatus.FAILED,
    IntentStatus.UNCONFIRMED: ActionStatus.UNCONFIRMED,
}


def action_view(intent: Intent, status: ActionStatus | None = None) -> dict[str, Any]:
    """An action as the outcome shows it: its description, its status, and what the system answered."""
    shown = status or _STATUS.get(intent.status, ActionStatus.PLANNED)
    if shown is ActionStatus.DONE and intent.result.get("silenced"):
        shown = ActionStatus.SILENCED
    return {**intent.action, "status": str(shown), **{k: v for k, v in intent.result.items() if k != "at"}}


def taken_view(intent: Intent, status: IntentStatus) -> dict[str, Any]:
    """An action whose key another event owns."""
    if intent.window:
        return action_view(intent, ActionStatus.GROUPED)
    shown = ActionStatus.ALREADY_DONE if status is not IntentStatus.PENDING else ActionStatus.ELSEWHERE
    return action_view(intent, shown)


def outcome_of(event: ev.Event, plan: Plan, actions: Sequence[Mapping[str, Any]]) -> Outcome:
    """The outcome of a plan whose actions went as `actions` say."""
    failed = [str(a["error"]) for a in actions if a.get("status") in ("failed", "unconfirmed") and a.get("error")]
    notes = plan.notes + ((plan.ignored,) if plan.ignored else ())
    kind = Result.IGNORED if plan.ignored and not actions else Result.HANDLED
    error = "; ".join(([plan.violation] if plan.violation else []) + failed) or None
    actions_ = tuple(dict(a) for a in actions)
    return Outcome(id=event.id, type=event.type, outcome=kind, actions=actions_, error=error, notes=notes, env=plan.env)


_BRIEF = (
    "kind",
    "key",
    "status",
    "error",
    "ref",
    "url",
    "job_name",
    "purpose",
    "environment",
    "target",
    "channel",
    "template",
    "silenced",
)


def ledger_entry(event: ev.Event, plan: Plan, outcome: Outcome, at: str, forced: str | None) -> LedgerEntry:
    """The ledger's account of an outcome: what happened, not empty fields."""
    detail = {
        "actions": [{k: a[k] for k in _BRIEF if a.get(k) is not None} for a in outcome.actions],
        "notes": list(outcome.notes),
        "error": outcome.error,
        "transitions": [
            {"model": t.model, "version": t.version, "to": str(t.to), "reason": t.reason, "by": t.by}
            for t in plan.transitions
        ],
        "violation": plan.violation,
        "forced": forced,
        "env": plan.env,
    }
    model, version = getattr(event, "model", None), getattr(event, "version", None)
    return LedgerEntry(
        event_id=event.id,
        event_type=event.type,
        at=at,
        outcome=str(outcome.outcome),
        model=model,
        version=version,
        detail={k: v for k, v in detail.items() if v},
    )
