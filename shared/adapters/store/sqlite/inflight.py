"""The SQLite store's reads for reconcile: in-flight jobs (a partial index), the newest event, bookmarks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from shared.adapters.store.sqlite.rows import intent
from shared.core.state import Intent, JobRef
from shared.core.store import INTERNAL_PREFIX

INFLIGHT_SCHEMA = f"""
CREATE INDEX IF NOT EXISTS jobs_inflight ON jobs (purpose, submitted_at, name)
    WHERE json_extract(body, '$.status') = 'Submitted';
CREATE INDEX IF NOT EXISTS journal_received ON journal (seq) WHERE event_type NOT LIKE '{INTERNAL_PREFIX}%';
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
_INFLIGHT = (
    "SELECT body FROM jobs WHERE json_extract(body, '$.status') = 'Submitted' AND purpose = ? AND submitted_at < ? "
    "AND (submitted_at, name) > (?, ?) ORDER BY submitted_at, name LIMIT ?"
)


class SqliteInflight:
    """What reconcile reads; each statement is an indexed range or a key lookup."""

    _db: Callable[[], sqlite3.Connection]

    def inflight_jobs(self, purpose: str, before: str, after: tuple[str, str] | None, limit: int) -> list[JobRef]:
        since, name = after or ("", "")
        rows = self._db().execute(_INFLIGHT, (purpose, before, since, name, limit))
        return [JobRef(**json.loads(r[0])) for r in rows]

    def last_event_at(self) -> str | None:
        row = (
            self._db()
            .execute(f"SELECT at FROM journal WHERE event_type NOT LIKE '{INTERNAL_PREFIX}%' ORDER BY seq DESC LIMIT 1")
            .fetchone()
        )
        return str(row[0]) if row and row[0] else None

    def get_intent(self, model: str, key: str) -> Intent | None:
        row: Any = (
            self._db()
            .execute("SELECT key, action, window, earlier, status, result FROM intents WHERE key = ?", (key,))
            .fetchone()
        )
        return intent(row) if row else None

    def get_mark(self, name: str) -> str | None:
        row = self._db().execute("SELECT value FROM marks WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def set_mark(self, name: str, value: str) -> None:
        self._db().execute("INSERT OR REPLACE INTO marks VALUES (?, ?)", (name, value))
