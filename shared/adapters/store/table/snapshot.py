"""A model partition read once per decision: the subject and its active records in one key-range query.

The loader reads a subject's revision first, then its production records and the versions the event names. All of
them live in the model's partition between `record:` and `subject`, so `subject_revision` reads that range (records
in a final stage left out: they are the history that grows) and keeps the rows for this thread. `records` and
`get_record` answer from them once each (a stage's list, a version), for a moment: what they return was read in
the same query as the revision (a single partition query sees each transaction whole, and every record write moves
the revision), so a commit on what they read still fails on any change since. A version not among them (absent, or
in a final stage) is read on its own. A commit or any write of this thread drops what it kept, so a later read
(after a duplicate too) reads anew.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.store.table.base import Entity, Op, TableBase
from shared.adapters.store.table.keys import SUBJECT

TTL = 2.0  # seconds a snapshot answers for: the span of one load
FINAL = ("rejected", "superseded")  # stages left out of a snapshot (read on their own when asked for)
RANGE = (
    "PartitionKey eq @pk and RowKey ge 'record:' and RowKey le 'subject' and "
    f"(RowKey eq 'subject' or ({' and '.join(f'stage ne {s!r}' for s in FINAL)}))"
)


@dataclass(frozen=True)
class Snapshot:
    until: float
    subject: Entity | None
    records: dict[str, Entity]  # RowKey -> record entity (stages not in FINAL); each answers once
    stages: set[str] = field(default_factory=set)  # stages whose list was answered already


class TableSnapshots(TableBase):
    """Per-thread snapshots of model partitions, dropped by this thread's next write."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _submit(self, table: str, ops: Sequence[Op]) -> list[Mapping[str, Any]]:
        self._drop_snapshots()
        return super()._submit(table, ops)

    def _snapshot(self, pk: str) -> Snapshot:
        rows = self._query("Subjects", RANGE, {"pk": pk})
        subject = next((r for r in rows if r["RowKey"] == SUBJECT), None)
        records = {str(r["RowKey"]): r for r in rows if r["RowKey"] != SUBJECT}
        for row in rows:
            self._remember(pk, row)
        snap = Snapshot(time.monotonic() + TTL, subject, records)
        self._snapshots()[pk] = snap
        return snap

    def _fresh(self, pk: str) -> Snapshot | None:
        snap = self._snapshots().get(pk)
        return snap if snap is not None and snap.until > time.monotonic() else None

    def _snapshot_record(self, pk: str, rk: str) -> Entity | None:
        """A record the thread's fresh snapshot holds (once), else None."""
        snap = self._fresh(pk)
        return snap.records.pop(rk, None) if snap is not None else None

    def _snapshot_stage(self, pk: str, stage: str | None) -> list[Entity] | None:
        """The records in a stage from the thread's fresh snapshot (once per stage), else None."""
        snap = self._fresh(pk) if stage is not None and stage not in FINAL else None
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
