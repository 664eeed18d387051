"""The Store port: what the engine keeps, and the two writes that carry one event (commit, then finish)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from shared.core.dead_letters import LetterPage, LetterQuery
from shared.core.ledger_pages import LedgerPage, LedgerQuery
from shared.core.lifecycle import ModelVersionRecord
from shared.core.silences import Silence
from shared.core.state import Adopted, Claimed, Commit, Committed, Finish, Intent, JobRef, LedgerEntry

INTERNAL_PREFIX = "MLOpsReactor."  # our own event types: not news from the workspace (last_event_at)


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
        and deleted when `apply`. Lifecycle records, jobs and pending work are kept. An event's time is when it
        was handled (commits and rejections come in that order): a store may find the old ones by that order."""
        ...

    def subject_revision(self, subject: str, versions: Sequence[str] = ()) -> int:
        """How many decisions were committed on a subject (0: none). `versions`: those of the subject the caller
        reads next (a hint: a store may read them with the revision, as the Table store does)."""
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

    def ledger_page(self, query: LedgerQuery) -> LedgerPage:
        """A model's (or model version's) entries newest first, a page at a time: as fast on a long history as on a
        short one. BadQuery('cursor') for a cursor this store did not make."""
        ...

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest dead letters first."""
        ...

    def due_approvals(self, now: str, limit: int) -> list[ModelVersionRecord]:
        """Staging versions whose approval request expires at or before `now` (ISO), soonest first, at most `limit`."""
        ...

    def dead_letter_page(self, query: LetterQuery) -> LetterPage:
        """Dead letters matching `query`, newest first, each with its kind and status; at most `query.limit` read."""
        ...

    # Reconcile: what is in flight, what was last heard, where the last run stopped

    def inflight_jobs(self, purpose: str, before: str, after: tuple[str, str] | None, limit: int) -> list[JobRef]:
        """Jobs of a purpose still `Submitted`, submitted before `before` (ISO time), oldest first: those after the
        cursor `after` = (submitted_at, name) of the last one seen. Bounded by `limit` (an indexed range)."""
        ...

    def last_event_at(self) -> str | None:
        """When the newest event from the workspace (not of our own `MLOpsReactor.*` types) was received (ISO).

        Exact on SQLite; on Table Storage written at most once a minute per process, so up to a minute behind."""
        ...

    def get_intent(self, model: str, key: str) -> Intent | None:
        """An intent of an action on a model (e.g. a CD request), with its status and result."""
        ...

    def get_mark(self, name: str) -> str | None:
        """A named bookmark (e.g. where the last reconcile run stopped)."""
        ...

    def set_mark(self, name: str, value: str) -> None:
        """Set a named bookmark."""
        ...

    def save_silence(self, silence: Silence) -> None:
        """Keep a silence by id (set, or ended when `ended_at` is set); saving the same one again is a no-op."""
        ...

    def get_silence(self, silence_id: str) -> Silence | None:
        """One silence, active or ended."""
        ...

    def silences(self, *, ended: bool = False, limit: int = 100) -> list[Silence]:
        """Silences not ended (soonest to end first), or with `ended` the ended ones, newest end first."""
        ...

    def hold(self, silence_id: str, key: str, kind: str, at: str) -> bool:
        """Record notice `key` (of template `kind`) as held back by a silence active at `at`; False (nothing
        recorded) if the silence is unknown, ended or past its time. Holding one key twice counts it once."""
        ...

    def held(self, silence_id: str) -> dict[str, int]:
        """How many notices a silence held back, by kind."""
        ...

    def budget_reset(self, model: str) -> str | None:
        """When a person last reset the model's retrain budget (ISO time), if ever."""
        ...

    def reset_budget(self, model: str, at: str) -> None:
        """Reset the model's retrain budget at `at` (a later reset is kept over an earlier one)."""
        ...
