"""TableStore's reads for reconcile: in-flight jobs (an index in the claims' shards), the newest event, bookmarks.

Table `Claims`, each shard `claims:NN`: `inflight:<purpose>:<submitted_at>|<name>` for each job a claim of the
shard submitted, written in the claim's own transaction (so the commit's first write indexes the job, and a
rolled-back claim takes its rows along). Nothing on an event's path removes them: a read checks each row it finds
against the job (one point read) and deletes the rows of jobs closed since (or never written: a decision that did
not land), so each costs one check once, after its `before` came. Rows of the layout before, in table `Jobs`,
partition `inflight:<purpose>`, are read and drained the same way.
Table `Claims`, partition `received`: `last`, when an event from the workspace was last received (at most one
write a minute per process). Partition `mark`: named bookmarks.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.adapters.store.table.base import Entity, TableBase, replace_mode
from shared.adapters.store.table.codec import guarded, lost_race
from shared.adapters.store.table.keys import (
    JOB,
    SHARDS,
    claim_pk,
    inflight_prefix,
    inflight_rk,
    intent_rk,
    model_pk,
    part,
)
from shared.adapters.store.table.rows import intent_of, job_of, job_props
from shared.core.state import Intent, JobRef, LedgerEntry
from shared.core.store import INTERNAL_PREFIX

OPEN = "Submitted"
_CLAIMS, _SUBJECTS, _JOBS = "Claims", "Subjects", "Jobs"
_EVERY = 60.0  # seconds between two writes of the received time, per process
_ROUNDS = 4  # pages of closed jobs' rows cleared per call at most; the rest next time


def legacy_inflight_pk(purpose: str) -> str:
    """The in-flight index partition of the layout before (table `Jobs`): still read, never written."""
    return f"inflight:{part(purpose)}"


def inflight_ops(claim_id: str, jobs: Iterable[JobRef]) -> list[tuple[Any, ...]]:
    """The in-flight rows of the jobs a claim submits, for the claim's transaction."""
    pk = claim_pk(claim_id)
    return [
        (
            "upsert",
            {
                "PartitionKey": pk,
                "RowKey": inflight_prefix(j.purpose) + inflight_rk(j.submitted_at, j.name),
                **job_props(j),
            },
            replace_mode(),
        )
        for j in jobs
        if j.status == OPEN
    ]


class TableInflight(TableBase):
    """The in-flight index, the received time and bookmarks."""

    _received_lock = threading.Lock()  # one lock for the class is enough: held for a comparison only

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
        found: list[JobRef] = []
        low = inflight_rk(*after) if after else ""
        for _ in range(_ROUNDS):
            rows = self._inflight_rows(purpose, low, part(before), limit)
            for job in self._still_open(rows):  # a job a dropped claim indexed too, under another time: once
                if all(job.name != j.name for j in found):
                    found.append(job)
            if len(found) >= limit or len(rows) < limit:
                break
            low = _suffix(rows[-1])
        return found[:limit]

    def _inflight_rows(self, purpose: str, low: str, high: str, limit: int) -> list[Entity]:
        """The first `limit` rows after `low` and before `high`, oldest first, merged from every shard."""
        prefix = inflight_prefix(purpose)
        query = "PartitionKey eq @pk and RowKey gt @lo and RowKey lt @hi"
        rows: list[Entity] = []
        for n in range(SHARDS):
            params = {"pk": f"claims:{n:02d}", "lo": prefix + low, "hi": prefix + high}
            rows += self._query(_CLAIMS, query, params, top=limit)
        params = {"pk": legacy_inflight_pk(purpose), "lo": low, "hi": high}
        rows += self._query(_JOBS, query, params, top=limit)
        return sorted(rows, key=_suffix)[:limit]

    def _still_open(self, rows: list[Entity]) -> list[JobRef]:
        """The jobs of these rows still open, as the job says; the rows of the others are deleted."""
        open_: list[JobRef] = []
        closed: defaultdict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            indexed = job_of(row)
            current = self._get(_JOBS, part(indexed.name), JOB)
            job = job_of(current) if current is not None else None
            if job is not None and job.status == OPEN:
                open_.append(job)
            else:
                table = _CLAIMS if str(row["PartitionKey"]).startswith("claims:") else _JOBS
                keys = {"PartitionKey": row["PartitionKey"], "RowKey": row["RowKey"]}
                closed[(table, str(row["PartitionKey"]))].append(("delete", keys))
        for (table, _), ops in closed.items():
            try:
                self._submit(table, ops)
            except Exception as exc:  # removed meanwhile by another reader: the next read finds what is left
                if not lost_race(exc):
                    raise
        return open_

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


def _suffix(row: Entity) -> str:
    """A row's place in the index, the same in every shard and in the partition of the layout before."""
    rk = str(row["RowKey"])
    return rk.split(":", 2)[2] if rk.startswith("inflight:") else rk
