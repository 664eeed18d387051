"""The SQLite store's dead letters: their type and kind columns, and the filtered page newest first (indexed)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from shared.core.dead_letters import BadQuery, LetterPage, LetterQuery, decode_cursor, encode_cursor, status_of

INSERT_LETTER = "INSERT INTO dead_letters (event_id, at, reason, raw, event_type, kind) VALUES (?, ?, ?, ?, ?, ?)"
_COLUMNS = (("event_type", "TEXT"), ("kind", "TEXT"))
_INDEXES = """
CREATE INDEX IF NOT EXISTS dead_letters_at ON dead_letters (at, seq);
CREATE INDEX IF NOT EXISTS dead_letters_type ON dead_letters (event_type, at, seq);
"""
_PAGE = (
    "SELECT seq, event_id, event_type, at, reason, kind, raw, EXISTS (SELECT 1 FROM journal "
    "WHERE journal.claim_id = dead_letters.event_id AND journal.done = 1), (SELECT max(seq) FROM dead_letters AS "
    "later WHERE later.event_id = dead_letters.event_id) FROM dead_letters"
)


def add_letter_columns(db: sqlite3.Connection) -> None:
    """Give `dead_letters` its type and kind (state from before them: the type read from each raw event once)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(dead_letters)")}
    for name, kind in _COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE dead_letters ADD COLUMN {name} {kind}")
    if "event_type" not in have:
        db.execute(
            "UPDATE dead_letters SET event_type = coalesce(json_extract(raw, '$.eventType'), "
            "json_extract(raw, '$.type'), '') WHERE event_type IS NULL"
        )
    db.executescript(_INDEXES)


class SqliteLetters:
    """`dead_letter_page`: one indexed range (by time, or by type and time), at most `limit` rows read."""

    _db: Callable[[], sqlite3.Connection]

    def dead_letter_page(self, query: LetterQuery) -> LetterPage:
        where: list[str] = []
        args: list[Any] = []
        if query.event_type is not None:
            where.append("event_type = ?")
            args.append(query.event_type)
        if query.cursor is not None:
            at, seq = _position(query.cursor)
            where.append("(at, seq) < (?, ?)")
            args += [at, seq]
        if query.until is not None:
            where.append("at < ?")
            args.append(query.until)
        if query.since is not None:
            where.append("at >= ?")
            args.append(query.since)
        sql = _PAGE + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY at DESC, seq DESC LIMIT ?"
        rows = self._db().execute(sql, (*args, query.limit)).fetchall()
        letters = [
            {
                "event_id": r[1],
                "event_type": r[2] or "",
                "at": r[3],
                "reason": r[4],
                "kind": r[5] or "",
                "status": status_of(r[5], bool(r[7]), r[8] == r[0]),
                "raw": json.loads(r[6]),
            }
            for r in rows
            if query.matches_reason(r[4])
        ]
        letters = [x for x in letters if query.matches_status(x["status"])]
        last = rows[-1] if len(rows) == query.limit else None
        return LetterPage(letters=letters, next=encode_cursor([last[3], last[0]]) if last else None)


def _position(cursor: str) -> tuple[str, int]:
    position = decode_cursor(cursor)
    if len(position) != 2 or not isinstance(position[0], str) or not isinstance(position[1], int):
        raise BadQuery("cursor", "a cursor from a previous page ('next')", cursor)
    return position[0], position[1]
