"""A model partition read once per decision: the subject, its production records and the versions the event names,
in one query of the partition's record range.

The loader reads a subject's revision first (naming the versions it will read next), then its production records
and those versions. All of them live in the model's partition between `record:` and `subject`, so
`subject_revision` reads that range for the subject, the records in production and the named versions alone (the
versions still in testing, candidate or staging are history that grows: a busy model gathers hundreds) and keeps the
rows for this thread. `records(model, "production")` and `get_record` answer from them once each, for a moment:
what they return was read in the same query as the revision (a single partition query sees each transaction whole,
and every record write moves the revision), so a commit on what they read still fails on any change since. A
version not among them is read on its own. A commit or any write of this thread drops what it kept, so a later
read (after a duplicate too) reads anew.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.store.table.base import Entity, Op, TableBase
from shared.adapters.store.table.keys import SUBJECT, record_rk

TTL = 2.0  # seconds a snapshot answers for: the span of one load
KEPT = "production"  # the stage whose every record a snapshot holds: the champions a decision compares against
NAMED = 10  # versions named in one query at most (a filter holds 15 comparisons); more are read on their own
RANGE = "PartitionKey eq @pk and RowKey ge 'record:' and RowKey le 'subject'"


def snapshot_query(versions: Iterable[str]) -> tuple[str, dict[str, str]]:
    """The filter of a snapshot and its parameters (the partition key aside): bounded by what it names."""
    named = sorted({record_rk(v) for v in versions if v})[:NAMED]
    terms = ["RowKey eq 'subject'", f"stage eq '{KEPT}'", *(f"RowKey eq @v{i}" for i in range(len(named)))]
    return f"{RANGE} and ( {' or '.join(terms)} )", {
        f"v{i}": rk for i, rk in enumerate(named)
    }  # spaced: the SDK reads a name to the next space


@dataclass(frozen=True)
class Snapshot:
    until: float
    subject: Entity | None
    records: dict[str, Entity]  # RowKey -> record entity (in production, or named); each answers once
    named: set[str] = field(default_factory=set)  # RowKeys the query named: one not in `records` is absent
    stages: set[str] = field(default_factory=set)  # stages whose list was answered already


class TableSnapshots(TableBase):
    """Per-thread snapshots of model partitions, dropped by this thread's next write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _submit(self, table: str, ops: Sequence[Op]) -> list[Mapping[str, Any]]:
        self._drop_snapshots()
        return super()._submit(table, ops)

    def _snapshot(self, pk: str, versions: Iterable[str] = ()) -> Snapshot:
        query, params = snapshot_query(versions)
        rows = self._query("Subjects", query, {"pk": pk, **params})
        subject = next((r for r in rows if r["RowKey"] == SUBJECT), None)
        records = {str(r["RowKey"]): r for r in rows if r["RowKey"] != SUBJECT}
        for row in rows:
            self._remember(pk, row)
        snap = Snapshot(time.monotonic() + TTL, subject, records, set(params.values()))
        self._snapshots()[pk] = snap
        return snap

    def _fresh(self, pk: str) -> Snapshot | None:
        snap = self._snapshots().get(pk)
        return snap if snap is not None and snap.until > time.monotonic() else None

    def _snapshot_record(self, pk: str, rk: str) -> tuple[bool, Entity | None]:
        """(True, the record) if the thread's fresh snapshot holds it, (True, None) if the snapshot named it and
        found none (it is absent), each once; (False, None) if the snapshot cannot tell."""
        snap = self._fresh(pk)
        if snap is None:
            return False, None
        known = rk in snap.records or rk in snap.named
        snap.named.discard(rk)
        return known, snap.records.pop(rk, None)

    def _snapshot_stage(self, pk: str, stage: str | None) -> list[Entity] | None:
        """The production records from the thread's fresh snapshot (once), else None."""
        snap = self._fresh(pk) if stage == KEPT else None
        if snap is None or stage is None or stage in snap.stages:
            return None
        snap.stages.add(stage)
        return [r for r in snap.records.values() if r.get("stage") == stage]

    def _drop_snapshots(self) -> None:
        self._snapshots().clear()

    def _snapshots(self) -> dict[str, Snapshot]:
        kept: dict[str, Snapshot] | None = getattr(self._local, "kept", None)
        if kept is None:
            kept = self._local.kept = {}
        return kept
