"""TableStore's reads for reconcile: in-flight jobs (an index partition), the newest event, bookmarks.

Table `Jobs`, partition `inflight:<purpose>`: `<submitted_at>|<name>` while the job is `Submitted` (written before
the job, dropped after its final status, so an open job is never missing from it; a leftover row is skipped).
Table `Claims`, partition `received`: `last`, when an event from the workspace was last received (at most one
write a minute per process). Partition `mark`: named bookmarks.
"""

from __future__ import annotations

import threading
from datetime import datetime

from shared.adapters.store.table.base import TableBase, replace_mode
from shared.adapters.store.table.codec import guarded, status
from shared.adapters.store.table.keys import intent_rk, model_pk, part
from shared.adapters.store.table.rows import intent_of, job_of, job_props
from shared.core.state import Intent, JobRef, LedgerEntry
from shared.core.store import INTERNAL_PREFIX

OPEN = "Submitted"
_CLAIMS, _SUBJECTS, _JOBS = "Claims", "Subjects", "Jobs"
_EVERY = 60.0  # seconds between two writes of the received time, per process


def inflight_pk(purpose: str) -> str:
    return f"inflight:{part(purpose)}"


def inflight_rk(submitted_at: str, name: str) -> str:
    return f"{part(submitted_at)}|{part(name)}"


class TableInflight(TableBase):
    """The in-flight index, the received time and bookmarks."""

    _received_lock = threading.Lock()  # one lock for the class is enough: held for a comparison only

    def _index_inflight(self, job: JobRef) -> None:
        """Add an open job to the in-flight index (before the job is written)."""
        if job.status == OPEN:
            row = {"PartitionKey": inflight_pk(job.purpose), "RowKey": inflight_rk(job.submitted_at, job.name)}
            self.table(_JOBS).upsert_entity({**row, **job_props(job)}, **replace_mode())

    def _unindex_inflight(self, job: JobRef) -> None:
        """Drop a job with a final status from the in-flight index (after its status is written)."""
        if job.status != OPEN:
            try:
                self.table(_JOBS).delete_entity(inflight_pk(job.purpose), inflight_rk(job.submitted_at, job.name))
            except Exception as exc:
                if status(exc) != 404:
                    raise

    def _note_received(self, entry: LedgerEntry) -> None:
        """Remember when an event from the workspace arrived (throttled: one write a minute per process)."""
        if entry.event_type.startswith(INTERNAL_PREFIX):
            return
        try:
            at = datetime.fromisoformat(entry.at).timestamp()
        except ValueError:
            return
        with self._received_lock:
            if at - self.__dict__.get("_received_last", 0.0) < _EVERY:
                return
            self.__dict__["_received_last"] = at
        row = {"PartitionKey": "received", "RowKey": "last", "at": entry.at}
        self.table(_CLAIMS).upsert_entity(row, **replace_mode())

    @guarded("listing in-flight jobs")
    def inflight_jobs(self, purpose: str, before: str, after: tuple[str, str] | None, limit: int) -> list[JobRef]:
        low = inflight_rk(*after) if after else ""
        query = "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi"
        params = {"pk": inflight_pk(purpose), "lo": low, "hi": part(before)}
        rows = self._query(_JOBS, query, params, top=limit)
        jobs = [job_of(r) for r in rows]
        return [j for j in jobs if j.status == OPEN][:limit]

    @guarded("reading when the last event came")
    def last_event_at(self) -> str | None:
        row = self._get(_CLAIMS, "received", "last")
        return str(row["at"]) if row else None

    @guarded("reading an intent")
    def get_intent(self, model: str, key: str) -> Intent | None:
        row = self._get(_SUBJECTS, model_pk(model), intent_rk(key))
        return intent_of(row) if row else None

    @guarded("reading a bookmark")
    def get_mark(self, name: str) -> str | None:
        row = self._get(_CLAIMS, "mark", part(name))
        return str(row["value"]) if row else None

    @guarded("writing a bookmark")
    def set_mark(self, name: str, value: str) -> None:
        row = {"PartitionKey": "mark", "RowKey": part(name), "value": value}
        self.table(_CLAIMS).upsert_entity(row, **replace_mode())
