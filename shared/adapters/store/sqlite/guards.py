"""The SQLite store's silences, held-back notices and retrain-budget resets: keys and partial indexes only."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import datetime

from shared.core.silences import Silence


class SqliteGuards:
    """Silences (open ones by end time, ended ones newest first), what each held back, budget resets."""

    _db: Callable[[], sqlite3.Connection]
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def save_silence(self, silence: Silence) -> None:
        # An ended silence stays ended: a late save of it as set (a resumed intent) changes nothing.
        with self._tx() as db:
            db.execute(
                "INSERT INTO silences (id, ended, until, ended_at, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET ended = excluded.ended, ended_at = excluded.ended_at, "
                "body = excluded.body WHERE silences.ended = 0",
                (
                    silence.id,
                    int(silence.ended_at is not None),
                    silence.until,
                    silence.ended_at,
                    json.dumps(asdict(silence)),
                ),
            )

    def get_silence(self, silence_id: str) -> Silence | None:
        row = self._db().execute("SELECT body FROM silences WHERE id = ?", (silence_id,)).fetchone()
        return Silence(**json.loads(row[0])) if row else None

    def silences(self, *, ended: bool = False, limit: int = 100) -> list[Silence]:
        sql = (
            "SELECT body FROM silences WHERE ended = 1 ORDER BY ended_at DESC LIMIT ?"
            if ended
            else "SELECT body FROM silences WHERE ended = 0 ORDER BY until LIMIT ?"
        )
        return [Silence(**json.loads(row[0])) for row in self._db().execute(sql, (limit,))]

    def hold(self, silence_id: str, key: str, kind: str, at: str) -> bool:
        with self._tx() as db:
            row = db.execute("SELECT body FROM silences WHERE id = ?", (silence_id,)).fetchone()
            if row is None or not Silence(**json.loads(row[0])).active(datetime.fromisoformat(at)):
                return False
            db.execute(
                "INSERT OR IGNORE INTO silence_holds (silence, key, kind) VALUES (?, ?, ?)", (silence_id, key, kind)
            )
        return True

    def held(self, silence_id: str) -> dict[str, int]:
        rows: Iterator[tuple[str, int]] = self._db().execute(
            "SELECT kind, count(*) FROM silence_holds WHERE silence = ? GROUP BY kind", (silence_id,)
        )
        return dict(rows)

    def budget_reset(self, model: str) -> str | None:
        row = self._db().execute("SELECT at FROM budget_resets WHERE model = ?", (model,)).fetchone()
        return str(row[0]) if row else None

    def reset_budget(self, model: str, at: str) -> None:
        with self._tx() as db:
            row = db.execute("SELECT at FROM budget_resets WHERE model = ?", (model,)).fetchone()
            if row is None or datetime.fromisoformat(row[0]) < datetime.fromisoformat(at):
                db.execute("INSERT OR REPLACE INTO budget_resets (model, at) VALUES (?, ?)", (model, at))
