"""The ways back in: release a claim after a transient failure, adopt a stalled one."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from shared.adapters.store.table.base import etag_of, if_match, merge_mode
from shared.adapters.store.table.claims import open_entity
from shared.adapters.store.table.codec import guarded, lost_race, unpack
from shared.adapters.store.table.finish import TableFinish
from shared.adapters.store.table.reads import CLAIMS, SUBJECTS
from shared.adapters.store.table.rows import intent_of, ledger_of
from shared.core.state import Adopted, Intent


class TableRecover(TableFinish):
    """Release keeps what was done and drops the lease; adopt takes over a claim whose lease ran out."""

    @guarded("releasing a claim")
    def release(self, claim_id: str, results: tuple[Intent, ...] = ()) -> None:
        self._apply(self._results(results))
        row = self._claim(claim_id)
        if row is None or row["done"]:
            return
        free = {"PartitionKey": row["PartitionKey"], "RowKey": row["RowKey"], "lease": 0.0}
        try:
            self._submit(
                CLAIMS,
                [
                    ("update", free, merge_mode(**if_match(etag_of(row)))),
                    ("upsert", open_entity(claim_id, 0), merge_mode()),
                ],
            )
        except Exception as exc:
            if not lost_race(exc):
                raise

    @guarded("adopting a stalled claim")
    def adopt(self, claim_id: str, now: datetime, lease_seconds: int) -> Adopted | None:
        row = self._claim(claim_id)
        if row is None or row["done"] or float(row["lease"]) > now.timestamp():
            return None
        if not self._landed(row):  # its delivery died before its decision: nothing to resume
            self._drop(row)  # the job it closed (if it got that far) given back first
            # Its event reports on one of our jobs: decide it again now rather than wait for a redelivery (a forced
            # re-run's claim is not its event's: the job, open, is left to the redelivery and reconcile).
            if row.get("closes") and "#" not in claim_id and "raw_n" in row:
                return Adopted(
                    claim_id=claim_id,
                    occurrence=row.get("occurrence"),
                    raw=unpack(row, "raw") or {},
                    ledger=ledger_of(row),
                    intents=(),
                    undecided=True,
                )
            return None
        until = now.timestamp() + lease_seconds
        taken = {"PartitionKey": row["PartitionKey"], "RowKey": row["RowKey"], "lease": until}
        try:
            self._submit(
                CLAIMS,
                [
                    ("update", taken, merge_mode(**if_match(etag_of(row)))),
                    ("upsert", open_entity(claim_id, until), merge_mode()),
                ],
            )
        except Exception as exc:
            if lost_race(exc):
                return None
            raise
        return Adopted(
            claim_id=claim_id,
            occurrence=row.get("occurrence"),
            raw=unpack(row, "raw") or {},
            ledger=ledger_of(row),
            intents=self._intents_of(claim_id, unpack(row, "parts") or []),
            interrupted=float(row["lease"]) > 0,  # a clean release sets the lease to 0
        )

    def _intents_of(self, claim_id: str, where: list[list[str]]) -> tuple[Intent, ...]:
        """The claim's intents, in commit order, with their status (keys another claim holds left out)."""
        by_pk: defaultdict[str, list[str]] = defaultdict(list)
        for pk, rk in where:
            by_pk[pk].append(rk)
        rows = {(pk, rk): row for pk, rks in by_pk.items() for rk, row in self._rows(SUBJECTS, pk, rks).items()}
        held = [rows.get((pk, rk)) for pk, rk in where]
        return tuple(intent_of(r) for r in held if r is not None and r["claim"] == claim_id)
