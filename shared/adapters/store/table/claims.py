"""Claims and occurrences for TableStore: taken with a lease before anything else, rolled back on a conflict."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.adapters.store.table.base import Entity, etag_of, if_match, replace_mode
from shared.adapters.store.table.codec import lost_race, pack, status
from shared.adapters.store.table.inflight import inflight_pk, inflight_rk
from shared.adapters.store.table.keys import (
    COUNTER,
    JOB,
    OCCURRENCE,
    claim_pk,
    claim_rk,
    group_pk,
    occurrence_pk,
    open_rk,
    part,
)
from shared.adapters.store.table.reads import CLAIMS, JOBS, SUBJECTS, TableReads
from shared.adapters.store.table.rows import ledger_props, raw_props
from shared.core.errors import TransientError
from shared.core.state import Claimed, Commit, Committed, IntentStatus

log = logging.getLogger("mlops_reactor")
ATTEMPTS = 4


def claim_entity(commit: Commit, *, done: bool, lease: float, marker: str, parts: Any, seq: str) -> dict[str, Any]:
    """A claim with its decision's ledger entry and raw event; `marker`/`parts` say where its decision went."""
    keys = {"PartitionKey": claim_pk(commit.claim_id), "RowKey": claim_rk(commit.claim_id)}
    props = {"claim": commit.claim_id, "done": done, "lease": float(lease), "seq": seq, "marker": marker}
    occurrence = {"occurrence": commit.occurrence} if commit.occurrence else {}
    return {
        **keys,
        **props,
        **occurrence,
        **ledger_props(commit.ledger),
        **raw_props(commit.raw),
        **pack("parts", parts),
    }


def open_entity(claim_id: str, lease: float) -> dict[str, Any]:
    """The sweep's index entry of a committed claim not done yet."""
    return {"PartitionKey": claim_pk(claim_id), "RowKey": open_rk(claim_id), "claim": claim_id, "lease": float(lease)}


def _until(lease: float) -> str:
    return datetime.fromtimestamp(lease, UTC).isoformat(timespec="seconds")


class TableClaims(TableReads):
    """Claim first (a lease), then the decision; grouped alert hits counted in memory and added in batches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()

    def _found(self, claim_id: str, now: datetime) -> Committed | None:
        """A claim already there: a duplicate, a stalled one to adopt, None if absent (or a stale one was dropped)."""
        row = self._claim(claim_id)
        if row is None:
            return None
        if row["done"]:
            return Committed(claimed=Claimed.DUPLICATE, claim_id=claim_id)
        if float(row["lease"]) > now.timestamp():
            until = _until(float(row["lease"]))
            raise TransientError(f"event {claim_id} is being handled elsewhere (lease until {until})")
        if not self._landed(row):
            self._drop(row)
            return None
        return Committed(claimed=Claimed.STALLED, claim_id=claim_id)

    def _drop(self, row: Entity) -> None:
        """Remove a claim whose decision never got written (its delivery stopped in between)."""
        claim_id = str(row["claim"])
        gone = {"PartitionKey": claim_pk(claim_id), "RowKey": open_rk(claim_id)}
        try:
            self._submit(CLAIMS, [("delete", dict(row), if_match(etag_of(row))), ("delete", gone)])
        except Exception as exc:
            if not lost_race(exc):
                raise
            raise TransientError(f"event {claim_id} is being taken over elsewhere") from None

    def _insert(self, entity: dict[str, Any], opened: bool, now: datetime) -> tuple[Committed | None, str]:
        """Insert a claim (and its open entry): (None, its ETag), or what holds the claim already."""
        claim_id = str(entity["claim"])
        ops = [("create", entity)] + ([("create", open_entity(claim_id, entity["lease"]))] if opened else [])
        for _ in range(ATTEMPTS):
            try:
                return None, str(self._submit(CLAIMS, ops)[0]["etag"])
            except Exception as exc:
                if status(exc) != 409:
                    raise
            found = self._found(claim_id, now)
            if found is not None:
                return found, ""
        raise TransientError(f"event {claim_id} was claimed elsewhere just now")

    def _occupy(self, commit: Commit, now: datetime, until: float) -> tuple[Committed | None, str]:
        """Take the event's occurrence: (None, ETag) when ours, else who has it (TransientError while leased)."""
        if not commit.occurrence:
            return None, ""
        pk = occurrence_pk(commit.occurrence)
        entity = {"PartitionKey": pk, "RowKey": OCCURRENCE, "claim": commit.claim_id, "until": float(until)}
        for _ in range(ATTEMPTS):
            try:
                return None, str(self.table(CLAIMS).create_entity(entity)["etag"])
            except Exception as exc:
                if status(exc) != 409:
                    raise
            row = self._get(CLAIMS, pk, OCCURRENCE)
            if row is None:
                continue
            if row["claim"] == commit.claim_id:
                return None, etag_of(row)
            found = self._found(str(row["claim"]), now)
            if found is not None:
                return found, ""
            if float(row["until"]) > now.timestamp():
                raise TransientError(f"{commit.occurrence} is being handled by another event")
            try:
                table = self.table(CLAIMS)
                return None, str(table.update_entity(entity, **replace_mode(**if_match(etag_of(row))))["etag"])
            except Exception as exc:
                if not lost_race(exc):
                    raise
        raise TransientError(f"{commit.occurrence} was claimed elsewhere just now")

    def _rollback(self, commit: Commit, claim_etag: str, occurrence_etag: str, jobs: list[str]) -> None:
        """Undo a claim whose decision was not written, so a new decision can take its place at once."""
        claim_id = commit.claim_id
        try:
            if claim_etag:
                claim = {"PartitionKey": claim_pk(claim_id), "RowKey": claim_rk(claim_id)}
                self._submit(CLAIMS, [("delete", claim, if_match(claim_etag)), ("delete", open_entity(claim_id, 0))])
            if occurrence_etag and commit.occurrence:
                pk = occurrence_pk(commit.occurrence)
                self.table(CLAIMS).delete_entity(pk, OCCURRENCE, **if_match(occurrence_etag))
            for name in jobs:
                self.table(JOBS).delete_entity(part(name), JOB)
            for job in commit.jobs:  # and their rows in reconcile's in-flight index
                if job.name in jobs:
                    self.table(JOBS).delete_entity(inflight_pk(job.purpose), inflight_rk(job.submitted_at, job.name))
        except Exception:  # its lease runs out, and then it counts as never written
            log.warning("could not roll back claim %s; it is dropped when its lease runs out", claim_id)

    # Grouped alerts: counted in memory, added to the group's counter in batches (a count may lag per process)

    def _count_hits(self, commit: Commit, taken: Mapping[str, IntentStatus]) -> None:
        windows = [i.window for i in commit.intents if i.window and i.key in taken]
        if windows:
            with self._hits_lock:
                self._hits.update(windows)

    def _take_hits(self, window: str) -> int:
        with self._hits_lock:
            return self._hits.pop(window, 0)

    def _give_back(self, hits: Mapping[str, int]) -> None:
        with self._hits_lock:
            self._hits.update(hits)

    def _pending_hits(self) -> int:
        with self._hits_lock:
            return sum(self._hits.values())

    def _flush_hits(self) -> None:
        with self._hits_lock:
            hits, self._hits = self._hits, Counter()
        for window, count in hits.items():
            try:
                self._add_hits(window, count)
            except Exception:
                self._give_back({window: count})
                raise

    def _add_hits(self, window: str, count: int) -> None:
        pk = group_pk(window)
        for _ in range(ATTEMPTS * 2):
            row = self._get(SUBJECTS, pk, COUNTER)
            entity = {"PartitionKey": pk, "RowKey": COUNTER, "pending": count + int(row["pending"] if row else 0)}
            try:
                if row is None:
                    self.table(SUBJECTS).create_entity(entity)
                else:
                    self.table(SUBJECTS).update_entity(entity, **replace_mode(**if_match(etag_of(row))))
                return
            except Exception as exc:
                if not lost_race(exc):
                    raise
        raise TransientError(f"the alert group {window} is too busy to count; will retry")
