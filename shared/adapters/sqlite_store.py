"""The embedded Store: one SQLite file in WAL mode, safe across threads and processes."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared.errors import TransientError
from shared.lifecycle import ModelVersionRecord, Stage
from shared.ports import JobRef, LedgerEntry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (event_id TEXT PRIMARY KEY, done INTEGER NOT NULL, lease_until TEXT,
                                   outcome TEXT);
CREATE TABLE IF NOT EXISTS occurrences (key TEXT PRIMARY KEY, event_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS windows (grp TEXT NOT NULL, start TEXT NOT NULL, count INTEGER NOT NULL,
                                    reported INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (grp, start));
CREATE TABLE IF NOT EXISTS records (model TEXT NOT NULL, version TEXT NOT NULL, revision INTEGER NOT NULL,
                                    body TEXT NOT NULL, PRIMARY KEY (model, version));
CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, model TEXT NOT NULL, purpose TEXT NOT NULL,
                                 body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, raw TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, model TEXT,
                                   version TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ledger_event ON ledger (event_id);
CREATE INDEX IF NOT EXISTS ledger_model ON ledger (model, version);
CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL,
                                         at TEXT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL);
"""


class ConcurrencyConflict(TransientError):
    """Someone else wrote the record since we read it: redeliver and decide again."""


class SqliteStore:
    """Claims, records, jobs, ledger and dead letters in one SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _one(self, sql: str, *args: Any) -> Any:
        return self._db().execute(sql, args).fetchone()

    # Claims

    def claim(self, event_id: str, occurrence: str | None, now: datetime, lease_seconds: int) -> bool:
        with self._tx() as db:
            row = db.execute("SELECT done, lease_until FROM claims WHERE event_id = ?", (event_id,)).fetchone()
            if row and row[0]:
                return False
            if occurrence and db.execute("SELECT 1 FROM occurrences WHERE key = ?", (occurrence,)).fetchone():
                return False
            if row and row[1] and datetime.fromisoformat(row[1]) > now:
                raise TransientError(f"event {event_id} is being handled elsewhere (lease until {row[1]})")
            until = (now + timedelta(seconds=lease_seconds)).isoformat()
            db.execute("INSERT OR REPLACE INTO claims VALUES (?, 0, ?, NULL)", (event_id, until))
        return True

    def complete(self, event_id: str, occurrence: str | None, outcome: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO claims VALUES (?, 1, NULL, ?)", (event_id, outcome))
            if occurrence:
                db.execute("INSERT OR IGNORE INTO occurrences VALUES (?, ?)", (occurrence, event_id))

    def release(self, event_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM claims WHERE event_id = ? AND done = 0", (event_id,))

    def is_completed(self, event_id: str) -> bool:
        return bool(self._one("SELECT 1 FROM claims WHERE event_id = ? AND done = 1", event_id))

    def effect_done(self, key: str) -> bool:
        return bool(self._one("SELECT 1 FROM effects WHERE key = ?", key))

    def record_effect(self, key: str, result: Mapping[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO effects VALUES (?, ?)", (key, json.dumps(result, default=str)))

    def open_window(self, group: str, window_start: str) -> int | None:
        with self._tx() as db:
            hit = db.execute("UPDATE windows SET count = count + 1 WHERE grp = ? AND start = ?", (group, window_start))
            if hit.rowcount:
                return None
            earlier = db.execute("SELECT COALESCE(SUM(count - 1), 0) FROM windows WHERE grp = ? AND reported = 0",
                                 (group,)).fetchone()[0]
            db.execute("UPDATE windows SET reported = 1 WHERE grp = ?", (group,))
            db.execute("INSERT INTO windows VALUES (?, ?, 1, 0)", (group, window_start))
        return int(earlier)

    # Records and jobs

    def get_record(self, model: str, version: str) -> ModelVersionRecord | None:
        row = self._one("SELECT revision, body FROM records WHERE model = ? AND version = ?", model, version)
        return _record(row) if row else None

    def save_record(self, record: ModelVersionRecord) -> ModelVersionRecord:
        saved = ModelVersionRecord(**{**asdict(record), "revision": record.revision + 1, "stage": record.stage,
                                      "history": record.history})
        body = json.dumps(asdict(saved))
        with self._tx() as db:
            if record.revision == 0:
                cur = db.execute("INSERT OR IGNORE INTO records VALUES (?, ?, 1, ?)",
                                 (record.model, record.version, body))
            else:
                cur = db.execute("UPDATE records SET revision = ?, body = ? WHERE model = ? AND version = ? "
                                 "AND revision = ?", (saved.revision, body, record.model, record.version,
                                                      record.revision))
            if cur.rowcount != 1:
                raise ConcurrencyConflict(f"{record.key} changed since it was read (revision {record.revision})")
        return saved

    def records(self, model: str) -> list[ModelVersionRecord]:
        rows = self._db().execute("SELECT revision, body FROM records WHERE model = ?", (model,)).fetchall()
        return [_record(row) for row in rows]

    def save_job(self, job: JobRef) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?)",
                       (job.name, job.model, job.purpose, json.dumps(asdict(job))))

    def get_job(self, name: str) -> JobRef | None:
        row = self._one("SELECT body FROM jobs WHERE name = ?", name)
        return JobRef(**json.loads(row[0])) if row else None

    def jobs_for(self, model: str, purpose: str) -> list[JobRef]:
        rows = self._db().execute("SELECT body FROM jobs WHERE model = ? AND purpose = ?", (model, purpose))
        jobs = [JobRef(**json.loads(r[0])) for r in rows]
        return sorted(jobs, key=lambda j: j.submitted_at, reverse=True)

    # Journal

    def save_event(self, event_id: str, raw: Mapping[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO events VALUES (?, ?)", (event_id, json.dumps(raw, default=str)))

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT raw FROM events WHERE event_id = ?", event_id)
        if row is None:
            row = self._one("SELECT raw FROM dead_letters WHERE event_id = ? ORDER BY seq DESC", event_id)
        return json.loads(row[0]) if row else None

    def append_ledger(self, entry: LedgerEntry) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO ledger (event_id, model, version, body) VALUES (?, ?, ?, ?)",
                       (entry.event_id, entry.model, entry.version, json.dumps(asdict(entry), default=str)))

    def ledger(self, *, event_id: str | None = None, model: str | None = None,
               version: str | None = None) -> list[LedgerEntry]:
        where, args = [], []
        for column, value in (("event_id", event_id), ("model", model), ("version", version)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT body FROM ledger" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        return [LedgerEntry(**json.loads(r[0])) for r in self._db().execute(sql, args)]

    def dead_letter(self, event_id: str, raw: Mapping[str, Any], reason: str, at: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO dead_letters (event_id, at, reason, raw) VALUES (?, ?, ?, ?)",
                       (event_id, at, reason, json.dumps(raw, default=str)))

    def dead_letters(self) -> list[dict[str, Any]]:
        rows = self._db().execute("SELECT event_id, at, reason, raw FROM dead_letters ORDER BY seq DESC")
        return [{"event_id": r[0], "at": r[1], "reason": r[2], "raw": json.loads(r[3])} for r in rows]


def _record(row: tuple[int, str]) -> ModelVersionRecord:
    body = json.loads(row[1])
    body["revision"] = row[0]
    body["stage"] = Stage(body["stage"])
    body["history"] = tuple(body.get("history", ()))
    return ModelVersionRecord(**body)
