"""The index of approval requests by expiry, for `due_approvals`: partition `due:approvals` of table Subjects.

RowKey `<waiting until> <model>:<version>`. A record's entity group is its model's partition, so the index cannot
join its transaction: an entry is written before the decision that sets the expiry, and checked against the record
when read; an entry the record no longer matches (decided, renewed, expired, or a decision that never landed) is
deleted then. So an expiry is never missed, and a stale entry costs one read once.
"""

from __future__ import annotations

from shared.adapters.store.table.codec import guarded, status
from shared.adapters.store.table.keys import part
from shared.adapters.store.table.reads import SUBJECTS, TableReads
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.state import Commit

DUE = "due:approvals"
_ROUNDS = 4  # pages of stale entries cleared per call at most; the rest next time


def due_rk(until: str, model: str, version: str) -> str:
    return f"{until} {part(model)}:{part(version)}"


class TableDue(TableReads):
    """Approval requests by expiry: indexed ahead of the commit, checked against the record on read."""

    def _index_due(self, commit: Commit) -> None:
        for record in commit.records:
            if record.stage is Stage.STAGING and record.waiting_until:
                rk = due_rk(record.waiting_until, record.model, record.version)
                entity = {"PartitionKey": DUE, "RowKey": rk, "model": record.model, "version": record.version}
                self.table(SUBJECTS).upsert_entity(entity)

    @guarded("reading approvals due")
    def due_approvals(self, now: str, limit: int) -> list[ModelVersionRecord]:
        found: list[ModelVersionRecord] = []
        for _ in range(_ROUNDS):
            rows = self._query(SUBJECTS, "PartitionKey eq @pk and RowKey lt @hi", {"pk": DUE, "hi": f"{now}!"}, limit)
            stale = 0
            for row in rows:
                record = self.get_record(str(row["model"]), str(row["version"]))
                until = str(row["RowKey"]).split(" ", 1)[0]
                if record is not None and record.stage is Stage.STAGING and record.waiting_until == until:
                    found.append(record)
                else:
                    self._drop_due(str(row["RowKey"]))
                    stale += 1
            if len(found) >= limit or not stale or len(rows) < limit:
                break
            found.clear()  # stale entries were dropped: read the page again from the start
        return found[:limit]

    def _drop_due(self, rk: str) -> None:
        try:
            self.table(SUBJECTS).delete_entity(DUE, rk)
        except Exception as exc:
            if status(exc) != 404:
                raise
