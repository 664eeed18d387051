"""TableStore's reads: each a point read or a key range of one partition (the ledger without a filter excepted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from shared.adapters.recent import Recent
from shared.adapters.store.table.base import Entity
from shared.adapters.store.table.codec import guarded, unpack
from shared.adapters.store.table.keys import (
    JOB,
    LETTERS,
    LOG,
    SHARDS,
    claim_pk,
    claim_rk,
    dead_rk,
    jobs_prefix,
    ledger_prefix,
    marker_rk,
    model_pk,
    part,
    record_rk,
)
from shared.adapters.store.table.rows import job_of, ledger_of, record_of
from shared.adapters.store.table.snapshot import TableSnapshots
from shared.core.dead_letters import MAX_LIMIT, BadQuery
from shared.core.ledger_pages import LedgerPage, LedgerQuery, cursor_at, position
from shared.core.lifecycle import ModelVersionRecord
from shared.core.state import Claimed, JobRef, LedgerEntry

CLAIMS, SUBJECTS, JOBS, DEAD = "Claims", "Subjects", "Jobs", "DeadLetters"


@dataclass(frozen=True, kw_only=True)
class SeenJob:
    """A job's partition as a load read it: the job (None: not ours) and its occurrences, by occurrence."""

    name: str
    row: Entity | None
    occurrences: dict[str, Entity]


class TableReads(TableSnapshots):
    """Lookups over the layout `shared.adapters.store.table.keys` describes."""

    def _claim(self, claim_id: str) -> Entity | None:
        return self._get(CLAIMS, claim_pk(claim_id), claim_rk(claim_id))

    def _landed(self, claim: Entity) -> bool:
        """Whether a claim's decision was written: the marker of its last partition transaction exists."""
        marker = str(claim.get("marker") or "")
        return not marker or self._get(SUBJECTS, marker, marker_rk(str(claim["claim"]))) is not None

    @guarded("reading a subject")
    def subject_revision(self, subject: str, versions: Sequence[str] = ()) -> int:
        row = self._snapshot(model_pk(subject), versions).subject  # with the records the load reads next
        return int(row["revision"]) if row is not None else 0

    @guarded("reading a claim")
    def is_completed(self, claim_id: str) -> bool:
        row = self._claim(claim_id)
        return bool(row is not None and row["done"])

    @guarded("reading a claim")
    def claim_status(self, claim_id: str, now: float) -> Claimed | None:
        row = self._claim(claim_id)
        if row is None:
            return None
        if row["done"]:
            return Claimed.DUPLICATE
        return Claimed.STALLED if float(row["lease"]) <= now and self._landed(row) else None

    @guarded("reading a lifecycle record")
    def get_record(self, model: str, version: str) -> ModelVersionRecord | None:
        known, row = self._snapshot_record(model_pk(model), record_rk(version))
        if known:
            return record_of(row) if row is not None else None
        row = self._get(SUBJECTS, model_pk(model), record_rk(version))
        if row is None:
            return None
        self._remember(model_pk(model), row)
        return record_of(row)

    @guarded("reading lifecycle records")
    def records(self, model: str, stage: str | None = None) -> list[ModelVersionRecord]:
        pk = model_pk(model)
        kept = self._snapshot_stage(pk, stage)
        if kept is not None:
            return [record_of(r) for r in kept]
        rows = self._range(SUBJECTS, pk, "record:", eq={"stage": stage})
        for row in rows:
            self._remember(pk, row)
        return [record_of(r) for r in rows]

    @guarded("reading a job")
    def get_job(self, name: str) -> JobRef | None:
        # The job's whole partition (the job and the few occurrences about it): a decision on this job then knows,
        # with no other request, whether a twin took its occurrence (see `occurrences`).
        rows = self._query(JOBS, "PartitionKey eq @pk", {"pk": part(name)})
        row = next((r for r in rows if r["RowKey"] == JOB), None)
        taken = {str(r["occurrence"]): r for r in rows if r["RowKey"] != JOB and "occurrence" in r}
        self._local.job = SeenJob(name=name, row=row, occurrences=taken)
        return job_of(row) if row is not None else None

    def _seen_job(self) -> SeenJob | None:
        """The job this thread read last (for the decision it is committing), forgotten once asked for."""
        seen: SeenJob | None = getattr(self._local, "job", None)
        self._local.job = None
        return seen

    @guarded("reading jobs")
    def jobs_for(self, model: str, purpose: str, limit: int = 20) -> list[JobRef]:
        jobs: dict[str, JobRef] = {}
        for row in self._range(SUBJECTS, model_pk(model), jobs_prefix(purpose), top=limit):
            jobs.setdefault(str(row["name"]), job_of(row))  # newest first; a name resubmitted counts once
        return list(jobs.values())[:limit]

    @guarded("reading an event")
    def get_event(self, event_id: str) -> dict[str, Any] | None:
        for rk in (claim_rk(event_id), dead_rk(event_id)):  # point reads: an `or` of keys may scan the partition
            row = self._get(CLAIMS, claim_pk(event_id), rk)
            if row is not None and "raw_n" in row:
                return dict(unpack(row, "raw"))
        return None

    @guarded("reading the ledger")
    def ledger(
        self,
        *,
        event_id: str | None = None,
        model: str | None = None,
        version: str | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        if event_id is None and model is not None:  # a model's: its pages, newest first
            entries: list[LedgerEntry] = []
            cursor: str | None = None
            while True:
                size = MAX_LIMIT if limit is None else min(MAX_LIMIT, limit - len(entries))
                page = self.ledger_page(LedgerQuery(model, version, size, cursor))
                entries, cursor = entries + page.entries, page.next
                if cursor is None or (limit is not None and len(entries) >= limit):
                    return entries[::-1]
        if event_id is not None:
            rows = self._range(CLAIMS, claim_pk(event_id), claim_rk(event_id), eq={"event_id": event_id})
        else:  # no key to go by: every shard (a tool's view, not on any event's path)
            rows = [r for n in range(SHARDS) for r in self._range(CLAIMS, f"claims:{n:02d}", "claim:")]
        wanted = {"model": model, "version": version}
        rows = [r for r in rows if all(v is None or r.get(k) == v for k, v in wanted.items())]
        entries = [ledger_of(r) for r in sorted(rows, key=lambda r: str(r.get("seq", "")))]
        return entries if limit is None else entries[-limit:]

    @guarded("reading the ledger")
    def ledger_page(self, query: LedgerQuery) -> LedgerPage:
        pk, (where, key) = model_pk(query.model), position(query.cursor) if query.cursor else ("rk", "")
        if where not in ("rk", "old"):
            raise BadQuery("cursor", "a cursor from a previous page ('next')", query.cursor)
        prefix = ledger_prefix(query.version) if query.version is not None else LOG
        rows = [] if where == "old" else self._range(SUBJECTS, pk, prefix, top=query.limit + 1, after=key or None)
        if len(rows) > query.limit:
            return LedgerPage(_newest_first(rows[: query.limit]), cursor_at("rk", str(rows[-2]["RowKey"])))
        if query.version is not None:  # the version's rows: every layout wrote them
            return LedgerPage(_newest_first(rows))
        # Past the model-wide log: entries written before it existed (rows by version without `logged`)
        if where == "old":  # a page of them already shown: older than its last
            before: str | None = key or None
        else:  # older than the log's oldest row (a row finished, not decided, by this layout has no `seq`)
            before = str(rows[-1].get("seq") or "") or None if rows else None
        old = [] if self._logged_only.get(pk) else self._unlogged(pk, before)
        if not old and where == "rk":  # none before the log: and none can come (every write logs now)
            self._logged_only.put(pk, True)
        shown = [*rows, *old[: query.limit - len(rows)]]
        more = len(rows) + len(old) > query.limit
        return LedgerPage(_newest_first(shown), cursor_at("old", str(shown[-1].get("seq") or "")) if more else None)

    @cached_property
    def _logged_only(self) -> Recent[bool]:
        """Model partitions found to hold no ledger rows from before the model-wide log (bounded)."""
        return Recent(self.cache_entries)

    def _unlogged(self, pk: str, before: str | None) -> list[Entity]:
        """Ledger rows of a model written before its model-wide log (every one of them older than the log's
        oldest), newest first: a bounded past, read only by a page that goes beyond the log."""
        extra = "seq lt @before" if before is not None else ""
        rows = self._range(SUBJECTS, pk, ledger_prefix(), extra=extra, params={"before": before} if before else None)
        return sorted((r for r in rows if not r.get("logged")), key=lambda r: str(r.get("seq", "")), reverse=True)

    @guarded("reading dead letters")
    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._query(DEAD, "PartitionKey eq @pk", {"pk": LETTERS}, top=limit)
        return [
            {"event_id": r["event_id"], "at": r["at"], "reason": r["reason"], "raw": unpack(r, "raw")} for r in rows
        ]

    @guarded("listing stalled claims")
    def stalled(self, now: datetime, limit: int) -> list[str]:
        rows: list[Entity] = []
        for n in range(SHARDS):
            rows += self._range(
                CLAIMS, f"claims:{n:02d}", "open:", extra="lease le @now", params={"now": now.timestamp()}
            )
        return [str(r["claim"]) for r in sorted(rows, key=lambda r: float(r["lease"]))[:limit]]


def _newest_first(rows: list[Entity]) -> list[LedgerEntry]:
    """A page's entries newest first; those of one instant in the order they were written (keys order them by
    time, then by claim)."""
    return [ledger_of(r) for r in sorted(rows, key=lambda r: (str(r["at"]), str(r.get("seq", ""))), reverse=True)]
