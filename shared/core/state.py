"""The Store port: what the engine keeps, and the two writes that carry one event (commit, then finish)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

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


class Store(Protocol):
    """All the state the engine keeps. Writes: `commit` then `finish` (two per event at most), or `reject`."""

    def commit(self, commit: Commit, now: datetime, lease_seconds: int) -> Committed:
        """Claim the event and write its decision in one atomic write; complete it at once if nothing is pending.

        Conflict: the subject's revision moved (nothing written). TransientError: the event or its occurrence
        is leased by a delivery still running.
        """
        ...

    def finish(self, finish: Finish) -> None:
        """Record each intent's result and the ledger entry, and complete the claim, in one atomic write."""
        ...

    def release(self, claim_id: str, results: tuple[Intent, ...] = ()) -> None:
        """After a transient failure: keep what was done, drop the lease, so the redelivery takes over at once."""
        ...

    def adopt(self, claim_id: str, now: datetime, lease_seconds: int) -> Adopted | None:
        """Take over a committed claim whose lease ran out. None: it completed, or someone else holds it."""
        ...

    def stalled(self, now: datetime, limit: int) -> list[str]:
        """Committed claims not completed whose lease ran out, oldest first (for the sweep)."""
        ...

    def reject(
        self,
        event_id: str,
        event_type: str,
        raw: Mapping[str, Any],
        reason: str,
        at: str,
        model: str | None = None,
        version: str | None = None,
    ) -> None:
        """Keep a rejected event (dead letter + ledger entry, under its model version when known); replayable by id."""
        ...

    def prune(self, before: str, *, apply: bool) -> dict[str, int]:
        """Completed events (with their done intents) and dead letters older than `before` (ISO time): counted,
        and deleted when `apply`. Lifecycle records, jobs and pending work are kept."""
        ...

    def subject_revision(self, subject: str) -> int:
        """How many decisions were committed on a subject (0: none)."""
        ...

    def claim_status(self, claim_id: str, now: float) -> Claimed | None:
        """DUPLICATE if the claim completed, STALLED if it committed and its lease (epoch `now`) ran out; else None."""
        ...

    def is_completed(self, claim_id: str) -> bool:
        """Whether this claim completed."""
        ...

    def get_record(self, model: str, version: str) -> ModelVersionRecord | None:
        """One model version's record."""
        ...

    def records(self, model: str, stage: str | None = None) -> list[ModelVersionRecord]:
        """The versions of a model we know, or only those in a stage."""
        ...

    def get_job(self, name: str) -> JobRef | None:
        """A submitted job by name."""
        ...

    def jobs_for(self, model: str, purpose: str, limit: int = 20) -> list[JobRef]:
        """The newest jobs submitted for a model with a purpose, newest first."""
        ...

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        """A stored raw event (handled or dead-lettered)."""
        ...

    def ledger(
        self,
        *,
        event_id: str | None = None,
        model: str | None = None,
        version: str | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        """Entries, oldest first, filtered; with `limit`, only the newest that many (still oldest first)."""
        ...

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters first."""
        ...
