"""Claims and occurrences for TableStore: taken with a lease before anything else, rolled back on a conflict."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shared.adapters.store.table.base import Entity, Op, etag_of, if_match, replace_mode
from shared.adapters.store.table.codec import lost_race, pack, status
from shared.adapters.store.table.inflight import OPEN, inflight_ops
from shared.adapters.store.table.keys import COUNTER, JOB, claim_pk, claim_rk, group_pk, open_rk, part
from shared.adapters.store.table.reads import CLAIMS, JOBS, SUBJECTS, TableReads
from shared.adapters.store.table.rows import job_of, job_props, ledger_props, raw_props
from shared.core.errors import TransientError
from shared.core.state import Claimed, Commit, Committed, Conflict, IntentStatus

log = logging.getLogger("mlops_reactor")
ATTEMPTS = 4


def claim_entity(
    commit: Commit,
    *,
    done: bool,
    lease: float,
    marker: str,
    parts: Any,
    seq: str,
    job: str | None = None,
    closes: str | None = None,
) -> dict[str, Any]:
    """A claim with its decision's ledger entry and raw event; `marker`/`parts` say where its decision went, `job`
    in which job's partition its occurrence is (None: in the occurrence's own), `closes` the job whose new status
    it writes ahead of its decision (given back if the decision never lands)."""
    keys = {"PartitionKey": claim_pk(commit.claim_id), "RowKey": claim_rk(commit.claim_id)}
    props = {"claim": commit.claim_id, "done": done, "lease": float(lease), "seq": seq, "marker": marker}
    props |= {"closes": closes} if closes else {}
    occurrence = {"occurrence": commit.occurrence} if commit.occurrence else {}
    occurrence |= {"occurrence_job": job} if commit.occurrence and job else {}
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

    def _found(self, claim_id: str, now: datetime, known: Entity | None = None) -> Committed | None:
        """A claim already there (`known`: as just read): a duplicate, a stalled one to adopt, None if absent (or a
        stale one was dropped). Conflict: the stale one had closed a job, now open again: the event decides anew."""
        row = known if known is not None else self._claim(claim_id)
        if row is None:
            return None
        if row["done"]:
            return Committed(claimed=Claimed.DUPLICATE, claim_id=claim_id)
        if float(row["lease"]) > now.timestamp():
            until = _until(float(row["lease"]))
            raise TransientError(f"event {claim_id} is being handled elsewhere (lease until {until})")
        if not self._landed(row):
            if self._drop(row):
                raise Conflict(f"{row.get('closes')} was closed by {claim_id}, whose decision never landed")
            return None
        return Committed(claimed=Claimed.STALLED, claim_id=claim_id)

    def _drop(self, row: Entity) -> bool:
        """Remove a claim whose decision never got written (its delivery stopped in between), after giving back the
        job it closed, if any (so no crash in between leaves the job closed with no decision): True if it did."""
        claim_id = str(row["claim"])
        reopened = self._reopen(row)
        gone = {"PartitionKey": claim_pk(claim_id), "RowKey": open_rk(claim_id)}
        ops: list[Op] = [("delete", dict(row), if_match(etag_of(row))), ("delete", gone), *self._inflight_of(row)]
        self._submit_or_busy(CLAIMS, ops, f"event {claim_id} is being taken over elsewhere")
        return reopened

    def _submit_or_busy(self, table: str, ops: list[Op], busy: str) -> None:
        """One transaction; if the rows changed since read (a lost race), another process is at it: `busy`, retry."""
        try:
            self._submit(table, ops)
        except Exception as exc:
            if not lost_race(exc):
                raise
            raise TransientError(busy) from None

    def _inflight_of(self, claim: Entity) -> list[Op]:
        """Deletes of the in-flight rows a claim wrote beside it (in its shard, for the jobs its decision would have
        submitted): with the decision never landed, no job was submitted, and reconcile would report them lost."""
        rows = self._range(CLAIMS, str(claim["PartitionKey"]), "inflight:")
        return [
            ("delete", dict(r), if_match(etag_of(r)))
            for r in rows
            if (job := job_of(r)).event_id == claim.get("event_id") and job.submitted_at == claim.get("at")
        ]

    def _reopen(self, claim: Entity) -> bool:
        """Give back the job a claim closed ahead of its decision: its status as before, the occurrences the claim
        took beside it freed, its in-flight row again (reconcile's index) first. False if the job is not closed by
        this claim (any more)."""
        name, claim_id = str(claim.get("closes") or ""), str(claim["claim"])
        rows = self._query(JOBS, "PartitionKey eq @pk", {"pk": part(name)}) if name else []
        job = next((r for r in rows if r["RowKey"] == JOB), None)
        if job is None or job.get("closed_by") != claim_id:
            return False
        was = replace(job_of(job), status=str(job.get("was") or OPEN))
        if indexed := inflight_ops(was.event_id, [was]):  # reconcile may have dropped it while the job was closed
            self._submit(CLAIMS, indexed)
        back = {"PartitionKey": part(name), "RowKey": JOB, **job_props(was)}
        ops: list[Op] = [("update", back, replace_mode(**if_match(etag_of(job))))]
        ops += [("delete", dict(r), if_match(etag_of(r))) for r in rows if r is not job and r.get("claim") == claim_id]
        self._submit_or_busy(JOBS, ops, f"{name} is being given back elsewhere")
        log.warning("job %s given back: %s closed it and died before its decision", name, claim_id)
        return True

    def _insert(
        self, entity: dict[str, Any], opened: bool, now: datetime, rows: list[Op] | None = None
    ) -> tuple[Committed | None, str]:
        """Insert a claim (with its open entry and `rows` of its shard): (None, its ETag), or what holds the claim."""
        claim_id = str(entity["claim"])
        ops = [("create", entity)] + ([("create", open_entity(claim_id, entity["lease"]))] if opened else [])
        ops += rows or []
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

    def _unclaim(self, claim_id: str, claim_etag: str, rows: list[Op]) -> None:
        """Delete a claim whose decision was not written, with its open entry and its shard's `rows`."""
        claim = {"PartitionKey": claim_pk(claim_id), "RowKey": claim_rk(claim_id)}
        gone = [("delete", {"PartitionKey": op[1]["PartitionKey"], "RowKey": op[1]["RowKey"]}) for op in rows]
        self._submit(CLAIMS, [("delete", claim, if_match(claim_etag)), ("delete", open_entity(claim_id, 0)), *gone])

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
