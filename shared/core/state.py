"""What the engine keeps and writes: claims, decisions, intents, results (the Store port is in core/store.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.core.errors import TransientError
from shared.core.lifecycle import ModelVersionRecord


class Conflict(TransientError):
    """The subject changed since it was read: nothing was written; load it again and decide again."""


@dataclass(frozen=True, kw_only=True)
class JobRef:
    """A job this app submitted, so its terminal event can be traced back to a model version."""

    name: str
    purpose: str
    model: str
    version: str | None
    event_id: str
    submitted_at: str
    status: str = "Submitted"


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    """One event's story: what arrived, what was decided, what each action did."""

    event_id: str
    event_type: str
    at: str
    outcome: str
    model: str | None = None
    version: str | None = None
    detail: Mapping[str, Any] | None = None


class IntentStatus(StrEnum):
    """Where an intended effect stands."""

    PENDING = "pending"  # committed, not yet carried out
    UNANSWERED = "unanswered"  # tried; the answer was lost, so it may have been carried out: never resent blindly
    DONE = "done"
    FAILED = "failed"  # refused for good (a 4xx, a forbidden step): recorded, not retried
    UNCONFIRMED = "unconfirmed"  # given up after an unanswered attempt; the outcome says what to check


@dataclass(frozen=True, kw_only=True)
class Intent:
    """An effect a decision committed to, keyed by what happens (`model:version:stage`, a job name, an alert window).

    `window` names an alert group: the first intent of a window is sent, later ones are grouped into it and
    counted; `earlier` is how many were grouped in the group's earlier windows (set by the store).
    """

    key: str
    action: Mapping[str, Any]
    window: str | None = None
    earlier: int = 0
    status: IntentStatus = IntentStatus.PENDING
    result: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Commit:
    """The first write of an event: its claim, the subject's new state and the intended effects, all or nothing."""

    claim_id: str  # the event id, or `<event id>#<why>` for a forced run: stores find an event's claims by prefix
    occurrence: str | None
    raw: Mapping[str, Any]
    ledger: LedgerEntry  # the decision; the final entry when nothing is left to do
    subjects: Mapping[str, int] = field(default_factory=dict)  # each model decided on, with its revision as read
    records: tuple[ModelVersionRecord, ...] = ()
    jobs: tuple[JobRef, ...] = ()
    intents: tuple[Intent, ...] = ()
    grouped: bool = False  # every intent is an alert window another claim owns: record the event in one write


class Claimed(StrEnum):
    """What a commit found."""

    COMMITTED = "committed"  # written; run `pending`, then finish
    DUPLICATE = "duplicate"  # the event or its occurrence was completed before: nothing written
    STALLED = "stalled"  # an earlier attempt committed and stopped: adopt `claim_id` and finish its intents


@dataclass(frozen=True, kw_only=True)
class Committed:
    """The answer to a commit: what this claim owns, and what others own already."""

    claimed: Claimed
    claim_id: str
    pending: tuple[Intent, ...] = ()  # ours to carry out
    taken: Mapping[str, IntentStatus] = field(default_factory=dict)  # keys another claim owns, with their status
    done: bool = False  # nothing was pending: the claim is complete already (one write in all)


@dataclass(frozen=True, kw_only=True)
class Adopted:
    """A committed claim taken over after its lease ran out: what it still has to do, and its decision."""

    claim_id: str
    occurrence: str | None
    raw: Mapping[str, Any]
    ledger: LedgerEntry
    intents: tuple[Intent, ...]  # every intent of the claim, with its status
    interrupted: bool = False  # its delivery stopped without a word (killed, timed out), not after a clean release
    undecided: bool = False  # its decision never landed and the claim is gone: decide its event (`raw`) again


@dataclass(frozen=True, kw_only=True)
class Finish:
    """The second write: each intent's result, the final ledger entry, a dead letter if any; the claim completes."""

    claim_id: str
    occurrence: str | None
    raw: Mapping[str, Any]
    ledger: LedgerEntry
    results: tuple[Intent, ...] = ()
    jobs: tuple[JobRef, ...] = ()  # status updates of jobs this event reported on
    dead_letter: str | None = None
