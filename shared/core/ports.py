"""The core's ports: what it needs from the world, as narrow Protocols."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from shared.core.actions import Notify, SubmitJob, TriggerCD
from shared.core.lifecycle import ModelVersionRecord


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
class Receipt:
    """What an external system answered: its reference and a link for people."""

    ref: str
    url: str = ""


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


@dataclass(frozen=True, kw_only=True)
class Completion:
    """Everything an event's handling writes at the end, so a store can commit it in one transaction."""

    claim_id: str
    occurrence: str | None
    outcome: str
    event_id: str
    raw: Mapping[str, Any]
    ledger: LedgerEntry
    records: tuple[ModelVersionRecord, ...] = ()
    jobs: tuple[JobRef, ...] = ()
    dead_letter: str | None = None


class Workspace(Protocol):
    """The Azure ML workspace: jobs, their metrics, model tags."""

    def submit_job(self, job: SubmitJob) -> Receipt:
        """Submit under job.job_name; an existing job of that name counts as submitted."""
        ...

    def job_metrics(self, job_name: str) -> dict[str, float]:
        """The metrics a finished job (or its child steps) logged."""
        ...

    def set_model_tags(self, model: str, version: str, tags: Mapping[str, str]) -> None:
        """Merge tags into a registered model version."""
        ...


class Deployer(Protocol):
    """A CD system that deploys model versions."""

    def deploy(self, request: TriggerCD) -> Receipt:
        """Ask for one deployment; request.key makes a second ask a no-op where the API allows."""
        ...


class Notifier(Protocol):
    """Delivers notices to channels."""

    def send(self, notice: Notify) -> None:
        """Deliver one notice to notice.channel."""
        ...


class Clock(Protocol):
    """The time, so tests can set it."""

    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class Claims(Protocol):
    """At-least-once delivery made exactly-once: claims on event ids and on logical occurrences."""

    def claim(self, event_id: str, occurrence: str | None, now: datetime, lease_seconds: int) -> bool:
        """True: ours to run. False: the event or its occurrence completed (a duplicate).

        TransientError: the event or its occurrence is leased by another delivery still running.
        """
        ...

    def complete(self, event_id: str, occurrence: str | None, outcome: str) -> None:
        """Mark done, so redeliveries become duplicates."""
        ...

    def settle(self, done: Completion, now: datetime) -> bool:
        """Record an event that had nothing to do outside, in one write where the store can.

        False: it was recorded already (a duplicate). TransientError: another delivery of it is under way.
        """
        ...

    def release(self, event_id: str, occurrence: str | None = None) -> None:
        """Give up a claim (and its occurrence) after a transient failure, so the redelivery runs."""
        ...

    def is_completed(self, event_id: str) -> bool:
        """Whether this event id has been completed."""
        ...

    def effect_done(self, key: str) -> bool:
        """Whether the action with this idempotency key already ran."""
        ...

    def record_effect(self, key: str, result: Mapping[str, Any]) -> None:
        """Remember that the action with this key ran."""
        ...

    def open_window(self, group: str, window_start: str, owner: str) -> int | None:
        """Open an alert window for `owner` (a notice key): how many were grouped in earlier windows.

        None if another owner opened it (this notice is grouped); the owner asking again gets the same count.
        """
        ...


class Records(Protocol):
    """Lifecycle records (optimistic concurrency) and the jobs we submitted."""

    def get_record(self, model: str, version: str) -> ModelVersionRecord | None:
        """One model version's record."""
        ...

    def save_record(self, record: ModelVersionRecord) -> ModelVersionRecord:
        """Write if the stored revision is still record.revision; returns the new revision."""
        ...

    def records(self, model: str, stage: str | None = None) -> list[ModelVersionRecord]:
        """The versions of a model we know, or only those in a stage."""
        ...

    def save_job(self, job: JobRef) -> None:
        """Insert or update a submitted job."""
        ...

    def get_job(self, name: str) -> JobRef | None:
        """A submitted job by name."""
        ...

    def jobs_for(self, model: str, purpose: str) -> list[JobRef]:
        """Jobs submitted for a model with a purpose, newest first."""
        ...


class Journal(Protocol):
    """The audit trail: raw events, ledger, dead letters."""

    def save_event(self, event_id: str, raw: Mapping[str, Any]) -> None:
        """Keep the raw event so it can be replayed by id."""
        ...

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        """A stored raw event."""
        ...

    def append_ledger(self, entry: LedgerEntry) -> None:
        """Add one entry."""
        ...

    def ledger(self, *, event_id: str | None = None, model: str | None = None,
               version: str | None = None) -> list[LedgerEntry]:
        """Entries, oldest first, filtered."""
        ...

    def dead_letter(self, event_id: str, raw: Mapping[str, Any], reason: str, at: str) -> None:
        """Keep a rejected event with the reason, for a later replay."""
        ...

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every dead letter, newest first."""
        ...


class Store(Claims, Records, Journal, Protocol):
    """All the state the reactor keeps."""

    def finish(self, done: Completion) -> None:
        """Write records (optimistically), jobs, raw event, ledger, dead letter; complete the claim."""
        ...


class FinishInSteps:
    """`finish` and `settle` from the primitives, for stores that cannot write it all in one transaction."""

    def settle(self: Store, done: Completion, now: datetime) -> bool:
        if not self.claim(done.claim_id, None, now, 60):
            return False
        try:
            self.finish(done)
        except BaseException:
            self.release(done.claim_id)
            raise
        return True

    def finish(self: Store, done: Completion) -> None:
        for record in done.records:
            self.save_record(record)
        for job in done.jobs:
            self.save_job(job)
        self.save_event(done.event_id, done.raw)
        self.append_ledger(done.ledger)
        if done.dead_letter:
            self.dead_letter(done.event_id, done.raw, done.dead_letter, done.ledger.at)
        self.complete(done.claim_id, done.occurrence, done.outcome)
