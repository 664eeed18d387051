"""The Journal half of TableStore: raw events, the ordered ledger and dead letters."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from shared.adapters.store.table.base import TableBase
from shared.adapters.store.table.codec import guarded, odata, pack, safe_key, unpack
from shared.core.ports import LedgerEntry

_seq_lock = threading.Lock()
_last_seq = 0


def next_seq() -> str:
    """A RowKey that sorts in write order: nanoseconds since the epoch (strictly increasing per process)."""
    global _last_seq
    with _seq_lock:
        _last_seq = max(time.time_ns(), _last_seq + 1)
        return f"{_last_seq:020d}-{uuid.uuid4().hex[:8]}"


class TableJournal(TableBase):
    """Events (by id), ledger entries (one partition, RowKey in write order) and dead letters."""

    @guarded("saving an event")
    def save_event(self, event_id: str, raw: Mapping[str, Any]) -> None:
        self._upsert("Events", {"PartitionKey": safe_key(event_id), "RowKey": "", "event_id": event_id,
                                **pack("raw", raw)})

    @guarded("reading an event")
    def get_event(self, event_id: str) -> dict[str, Any] | None:
        row = self._get("Events", event_id)
        if row is not None:
            found: dict[str, Any] = unpack(row, "raw")
            return found
        letters = [d for d in self.dead_letters() if d["event_id"] == event_id]
        return letters[0]["raw"] if letters else None

    @guarded("appending to the ledger")
    def append_ledger(self, entry: LedgerEntry) -> None:
        self._insert("Ledger", {"PartitionKey": "ledger", "RowKey": next_seq(), "event_id": entry.event_id,
                                "model": entry.model or "", "version": entry.version or "",
                                **pack("body", asdict(entry))})

    @guarded("reading the ledger")
    def ledger(self, *, event_id: str | None = None, model: str | None = None,
               version: str | None = None) -> list[LedgerEntry]:
        query, params = odata({"PartitionKey": "ledger", "event_id": event_id, "model": model, "version": version})
        rows = sorted(self.table("Ledger").query_entities(query, parameters=params), key=lambda r: r["RowKey"])
        return [LedgerEntry(**unpack(r, "body")) for r in rows]

    @guarded("writing a dead letter")
    def dead_letter(self, event_id: str, raw: Mapping[str, Any], reason: str, at: str) -> None:
        self._insert("DeadLetters", {"PartitionKey": "dead", "RowKey": next_seq(), "event_id": event_id, "at": at,
                                     "reason": reason[:30_000], **pack("raw", raw)})

    @guarded("reading dead letters")
    def dead_letters(self) -> list[dict[str, Any]]:
        query, params = odata({"PartitionKey": "dead"})
        rows = sorted(self.table("DeadLetters").query_entities(query, parameters=params),
                      key=lambda r: r["RowKey"], reverse=True)
        return [{"event_id": r["event_id"], "at": r["at"], "reason": r["reason"], "raw": unpack(r, "raw")}
                for r in rows]
