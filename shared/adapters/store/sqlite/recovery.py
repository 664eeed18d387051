"""The SQLite store's writes off the main path: release, adopt, reject, prune."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from shared.adapters.store.sqlite.letters import INSERT_LETTER
from shared.adapters.store.sqlite.rows import JOURNAL, intent, to_json, write_results
from shared.core.dead_letters import REJECTED
from shared.core.state import Adopted, Intent, LedgerEntry


class SqliteRecovery:
    """What the sweep, an adopting delivery, a rejection and the operator's prune write."""

    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _db: Callable[[], sqlite3.Connection]

    def _one(self, sql: str, *args: Any) -> Any:
        return self._db().execute(sql, args).fetchone()

    def release(self, claim_id: str, results: tuple[Intent, ...] = ()) -> None:
        with self._tx() as db:
            write_results(db, claim_id, results)
            db.execute("UPDATE journal SET lease_until = 0 WHERE claim_id = ? AND done = 0", (claim_id,))

    def adopt(self, claim_id: str, now: datetime, lease_seconds: int) -> Adopted | None:
        with self._tx() as db:
            held = db.execute("SELECT lease_until FROM journal WHERE claim_id = ?", (claim_id,)).fetchone()
            taken = db.execute(
                "UPDATE journal SET lease_until = ? WHERE claim_id = ? AND done = 0 AND lease_until <= ?",
                (now.timestamp() + lease_seconds, claim_id, now.timestamp()),
            )
            if not taken.rowcount:
                return None
            row = db.execute(
                "SELECT occurrence, raw, event_id, event_type, at, outcome, model, version, detail "
                "FROM journal WHERE claim_id = ?",
                (claim_id,),
            ).fetchone()
            intents = db.execute(
                "SELECT key, action, window, earlier, status, result FROM intents WHERE claim_id = ?", (claim_id,)
            ).fetchall()
        ledger = LedgerEntry(
            event_id=row[2],
            event_type=row[3],
            at=row[4],
            outcome=row[5],
            model=row[6],
            version=row[7],
            detail=json.loads(row[8]),
        )
        return Adopted(
            claim_id=claim_id,
            occurrence=row[0],
            raw=json.loads(row[1]),
            ledger=ledger,
            intents=tuple(intent(r) for r in intents),
            interrupted=bool(held and held[0]),
        )

    def reject(
        self,
        event_id: str,
        event_type: str,
        raw: Mapping[str, Any],
        reason: str,
        at: str,
        model: str | None = None,
        version: str | None = None,
    ) -> None:
        with self._tx() as db:
            db.execute(INSERT_LETTER, (event_id, at, reason, to_json(raw), event_type, REJECTED))
            db.execute(
                JOURNAL,
                (
                    f"{event_id}#rejected:{uuid.uuid4().hex}",
                    None,
                    1,
                    0,
                    "rejected",
                    event_id,
                    event_type,
                    at,
                    model,
                    version,
                    None,
                    to_json({"error": reason}),
                ),
            )

    def prune(self, before: str, *, apply: bool) -> dict[str, int]:
        """Completed events handled before `before`, found through the journal's order (its rows are written in
        the order they are handled): the work grows with what goes, not with the history kept."""
        bound = _first_kept(self._db(), before)
        old = "SELECT claim_id FROM journal WHERE seq < ? AND done = 1 AND at < ?"
        counts = {
            "events": self._one(f"SELECT count(*) FROM ({old})", bound, before)[0],
            "intents": self._one(
                f"SELECT count(*) FROM intents WHERE status != 'pending' AND claim_id IN ({old})", bound, before
            )[0],
            "dead letters": self._one("SELECT count(*) FROM dead_letters WHERE at < ?", before)[0],
        }
        if apply:
            low = 0
            while (first := self._one(_NEXT_DONE, low, bound)) is not None:  # short transactions: events go on
                low, high = first[0], min(first[0] + _PRUNE_BATCH, bound)
                with self._tx() as db:
                    db.execute(
                        f"DELETE FROM intents WHERE status != 'pending' AND claim_id IN "
                        f"(SELECT claim_id FROM journal WHERE {_OLD_IN})",
                        (low, high, before),
                    )
                    db.execute(f"DELETE FROM journal WHERE {_OLD_IN}", (low, high, before))
                low = high
            with self._tx() as db:
                db.execute("DELETE FROM dead_letters WHERE at < ?", (before,))
        return counts


_PRUNE_BATCH = 2000  # journal rows (by seq) a prune transaction covers
_NEXT_DONE = "SELECT seq FROM journal WHERE seq >= ? AND seq < ? AND done = 1 ORDER BY seq LIMIT 1"
_OLD_IN = "seq >= ? AND seq < ? AND done = 1 AND at < ?"  # the completed events of a batch older than the cut-off


def _first_kept(db: sqlite3.Connection, before: str) -> int:
    """The seq of the first journal row handled at or after `before` (one past the last row if none): a binary
    search on seq, each step one lookup by key. Rows handled within moments of each other may be written out of
    order: one of them the cut-off misses goes with the next day's prune."""
    low, high = (db.execute(f"SELECT {end}(seq) FROM journal").fetchone()[0] for end in ("min", "max"))
    if low is None:
        return 0
    high += 1
    while low < high:
        middle = (low + high) // 2
        row = db.execute("SELECT coalesce(at, '') FROM journal WHERE seq >= ? ORDER BY seq LIMIT 1", (middle,))
        at = row.fetchone()
        if at is None or at[0] >= before:
            high = middle
        else:
            low = middle + 1
    return int(low)
