"""The embedded Store: one SQLite file in WAL mode, safe across threads and processes."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.core.errors import PermanentError, TransientError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.ports import Completion, JobRef, LedgerEntry

# Checkpoint the WAL every ~40 MiB rather than SQLite's 4 MiB: journal rows are large, checkpoints dominate.
WAL_CHECKPOINT_PAGES = 10000
_SCHEMA_VERSION = 4
_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, claim_id TEXT NOT NULL UNIQUE, occurrence TEXT,
    done INTEGER NOT NULL DEFAULT 0, lease_until REAL, outcome TEXT, event_id TEXT, event_type TEXT, at TEXT,
    model TEXT, version TEXT, raw TEXT, detail TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS journal_occurrence ON journal (occurrence) WHERE occurrence IS NOT NULL;
CREATE INDEX IF NOT EXISTS journal_model ON journal (model, version) WHERE model IS NOT NULL;
CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS windows (grp TEXT NOT NULL, start TEXT NOT NULL, count INTEGER NOT NULL,
                                    reported INTEGER NOT NULL DEFAULT 0, owner TEXT NOT NULL,
                                    earlier INTEGER NOT NULL, PRIMARY KEY (grp, start));
CREATE TABLE IF NOT EXISTS records (model TEXT NOT NULL, version TEXT NOT NULL, revision INTEGER NOT NULL,
                                    stage TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (model, version));
CREATE INDEX IF NOT EXISTS records_stage ON records (model, stage);
CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, model TEXT NOT NULL, purpose TEXT NOT NULL,
                                 body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL,
                                         at TEXT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL);
"""


# Take a claim that is new, or whose lease ran out without completing; rowcount 0 means done or leased.
_CLAIM = ("INSERT INTO journal (claim_id, occurrence, lease_until) VALUES (?, ?, ?) ON CONFLICT (claim_id) "
          "DO UPDATE SET lease_until = excluded.lease_until, occurrence = excluded.occurrence "
          "WHERE done = 0 AND lease_until <= ?")
_HITS_BATCH = 64  # grouped-alert counts are written in batches; a window's count may lag by this much per process
_FINISH = ("UPDATE journal SET done = 1, outcome = ?, event_id = ?, event_type = ?, at = ?, model = ?, version = ?, "
           "raw = ?, detail = ? WHERE claim_id = ?")
_SETTLE = ("INSERT INTO journal (claim_id, done, outcome, event_id, event_type, at, model, version, raw, detail) "
           "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (claim_id) DO UPDATE SET done = 1, "
           "outcome = excluded.outcome, event_id = excluded.event_id, event_type = excluded.event_type, "
           "at = excluded.at, raw = excluded.raw, detail = excluded.detail WHERE done = 0 AND lease_until <= ?")
_LEDGER = "SELECT event_id, event_type, at, outcome, model, version, detail FROM journal WHERE detail IS NOT NULL"


class ConcurrencyConflict(TransientError):
    """Someone else wrote the record since we read it: redeliver and decide again."""


class SqliteStore:
    """Claims, records, jobs, ledger and dead letters in one SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._opened: dict[tuple[str, str], tuple[str, int]] = {}  # window -> (owner, earlier), as stored
        self._window_hits: Counter[tuple[str, str]] = Counter()
        self._hits_lock = threading.Lock()
        self._pending_hits = 0
        db = self._db()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, _SCHEMA_VERSION) or (version == 0 and _has_tables(db)):
            raise PermanentError(f"{path} holds state of another version of MLOps Reactor (schema {version}, "
                                 f"expected {_SCHEMA_VERSION}): move it away or start afresh (make run ARGS=--reset)")
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
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

    # Claims: one journal row per claim holds the lease, then the outcome, the raw event and its ledger entry

    def claim(self, event_id: str, occurrence: str | None, now: datetime, lease_seconds: int) -> bool:
        until = now.timestamp() + lease_seconds
        db = self._db()
        try:
            taken = db.execute(_CLAIM, (event_id, occurrence, until, now.timestamp())).rowcount
        except sqlite3.IntegrityError:
            return self._claim_occurrence(event_id, occurrence, now, lease_seconds)
        if taken:
            return True
        done, lease = db.execute("SELECT done, lease_until FROM journal WHERE claim_id = ?", (event_id,)).fetchone()
        if done:
            return False
        raise TransientError(f"event {event_id} is being handled elsewhere (lease until {_shown(lease)})")

    def _claim_occurrence(self, event_id: str, occurrence: str | None, now: datetime, lease_seconds: int) -> bool:
        """Another event holds this occurrence: a duplicate if it completed, else wait or take over its lease."""
        with self._tx() as db:
            done, lease = db.execute("SELECT done, lease_until FROM journal WHERE occurrence = ?",
                                     (occurrence,)).fetchone()
            if done:
                return False
            if lease > now.timestamp():
                raise TransientError(f"{occurrence} is being handled by another event (lease until {_shown(lease)})")
            db.execute("UPDATE journal SET occurrence = NULL WHERE occurrence = ?", (occurrence,))
        return self.claim(event_id, occurrence, now, lease_seconds)

    def complete(self, event_id: str, occurrence: str | None, outcome: str) -> None:
        self._db().execute("UPDATE journal SET done = 1, outcome = ? WHERE claim_id = ?", (outcome, event_id))

    def finish(self, done: Completion) -> None:
        entry = done.ledger
        raw = json.dumps(done.raw, default=str, separators=(",", ":"))
        row = (done.outcome, done.event_id, entry.event_type, entry.at, entry.model, entry.version, raw,
               json.dumps(entry.detail, default=str, separators=(",", ":")), done.claim_id)
        if not (done.records or done.jobs or done.dead_letter or self._pending_hits >= _HITS_BATCH):
            self._db().execute(_FINISH, row)  # one statement: atomic without an explicit transaction
            return
        with self._tx() as db:
            for record in done.records:
                _write_record(db, record)
            db.executemany("INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?)",
                           [(j.name, j.model, j.purpose, json.dumps(asdict(j))) for j in done.jobs])
            if done.dead_letter:
                db.execute("INSERT INTO dead_letters (event_id, at, reason, raw) VALUES (?, ?, ?, ?)",
                           (done.event_id, entry.at, done.dead_letter, raw))
            self._flush_window_hits(db)
            db.execute(_FINISH, row)

    def settle(self, done: Completion, now: datetime) -> bool:
        entry = done.ledger
        row = (done.claim_id, done.outcome, done.event_id, entry.event_type, entry.at, entry.model, entry.version,
               json.dumps(done.raw, default=str, separators=(",", ":")),
               json.dumps(entry.detail, default=str, separators=(",", ":")), now.timestamp())
        if not self._db().execute(_SETTLE, row).rowcount:
            found = self._one("SELECT done, lease_until FROM journal WHERE claim_id = ?", done.claim_id)
            if found[0]:
                return False
            raise TransientError(f"event {done.claim_id} is being handled elsewhere (lease until {_shown(found[1])})")
        if self._pending_hits >= _HITS_BATCH:
            with self._tx() as db:
                self._flush_window_hits(db)
        return True

    def release(self, event_id: str, occurrence: str | None = None) -> None:
        self._db().execute("DELETE FROM journal WHERE claim_id = ? AND done = 0", (event_id,))

    def is_completed(self, event_id: str) -> bool:
        return bool(self._one("SELECT 1 FROM journal WHERE claim_id = ? AND done = 1", event_id))

    def effect_done(self, key: str) -> bool:
        return bool(self._one("SELECT 1 FROM effects WHERE key = ?", key))

    def record_effect(self, key: str, result: Mapping[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO effects VALUES (?, ?)", (key, json.dumps(result, default=str)))

    def open_window(self, group: str, window_start: str, owner: str) -> int | None:
        opened = self._opened.get((group, window_start))
        if opened is not None and opened[0] != owner:
            # Windows never close for the same start: count the hit, write it with the next transaction.
            with self._hits_lock:
                self._window_hits[(group, window_start)] += 1
                self._pending_hits += 1
            return None
        if opened is not None:
            return opened[1]
        with self._tx() as db:
            self._flush_window_hits(db)
            row = db.execute("SELECT owner, earlier FROM windows WHERE grp = ? AND start = ?",
                             (group, window_start)).fetchone()
            if row is None:
                earlier = db.execute("SELECT COALESCE(SUM(count - 1), 0) FROM windows WHERE grp = ? AND reported = 0",
                                     (group,)).fetchone()[0]
                db.execute("UPDATE windows SET reported = 1 WHERE grp = ?", (group,))
                db.execute("INSERT INTO windows VALUES (?, ?, 1, 0, ?, ?)", (group, window_start, owner, earlier))
                row = (owner, earlier)
            elif row[0] != owner:
                db.execute("UPDATE windows SET count = count + 1 WHERE grp = ? AND start = ?", (group, window_start))
        self._opened[(group, window_start)] = (row[0], int(row[1]))
        return int(row[1]) if row[0] == owner else None

    def _flush_window_hits(self, db: sqlite3.Connection) -> None:
        with self._hits_lock:
            pending = [(n, g, w) for (g, w), n in self._window_hits.items()]
            self._window_hits.clear()
            self._pending_hits = 0
        if pending:
            db.executemany("UPDATE windows SET count = count + ? WHERE grp = ? AND start = ?", pending)

    # Records and jobs

    def get_record(self, model: str, version: str) -> ModelVersionRecord | None:
        row = self._one("SELECT revision, body FROM records WHERE model = ? AND version = ?", model, version)
        return _record(row) if row else None

    def save_record(self, record: ModelVersionRecord) -> ModelVersionRecord:
        with self._tx() as db:
            return _write_record(db, record)

    def records(self, model: str, stage: str | None = None) -> list[ModelVersionRecord]:
        sql, args = "SELECT revision, body FROM records WHERE model = ?", [model]
        if stage is not None:
            sql, args = sql + " AND stage = ?", [*args, stage]
        rows = self._db().execute(sql, args).fetchall()
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
        self._db().execute("INSERT INTO journal (claim_id, done, raw) VALUES (?, 1, ?) ON CONFLICT (claim_id) "
                           "DO UPDATE SET raw = excluded.raw", (event_id, json.dumps(raw, default=str)))

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT raw FROM journal WHERE claim_id = ? AND raw IS NOT NULL", event_id)
        if row is None:
            row = self._one("SELECT raw FROM dead_letters WHERE event_id = ? ORDER BY seq DESC", event_id)
        return json.loads(row[0]) if row else None

    def append_ledger(self, entry: LedgerEntry) -> None:
        self._db().execute(
            "INSERT INTO journal (claim_id, done, outcome, event_id, event_type, at, model, version, detail) "
            "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
            (f"{entry.event_id}#ledger:{uuid.uuid4().hex}", entry.outcome, entry.event_id, entry.event_type,
             entry.at, entry.model, entry.version, json.dumps(entry.detail, default=str)))

    def ledger(self, *, event_id: str | None = None, model: str | None = None,
               version: str | None = None) -> list[LedgerEntry]:
        where, args = [], []
        for column, value in (("event_id", event_id), ("model", model), ("version", version)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = _LEDGER + "".join(f" AND {w}" for w in where) + " ORDER BY seq"
        return [LedgerEntry(event_id=r[0], event_type=r[1], at=r[2], outcome=r[3], model=r[4], version=r[5],
                            detail=json.loads(r[6])) for r in self._db().execute(sql, args)]

    def dead_letter(self, event_id: str, raw: Mapping[str, Any], reason: str, at: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO dead_letters (event_id, at, reason, raw) VALUES (?, ?, ?, ?)",
                       (event_id, at, reason, json.dumps(raw, default=str)))

    def dead_letters(self) -> list[dict[str, Any]]:
        rows = self._db().execute("SELECT event_id, at, reason, raw FROM dead_letters ORDER BY seq DESC")
        return [{"event_id": r[0], "at": r[1], "reason": r[2], "raw": json.loads(r[3])} for r in rows]


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'").fetchone() is not None


def _shown(epoch: float) -> str:
    """A lease's end, for people."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _write_record(db: sqlite3.Connection, record: ModelVersionRecord) -> ModelVersionRecord:
    saved = replace(record, revision=record.revision + 1)
    body = json.dumps(asdict(saved))
    if record.revision == 0:
        cur = db.execute("INSERT OR IGNORE INTO records VALUES (?, ?, 1, ?, ?)",
                         (record.model, record.version, str(record.stage), body))
    else:
        cur = db.execute("UPDATE records SET revision = ?, stage = ?, body = ? WHERE model = ? AND version = ? "
                         "AND revision = ?", (saved.revision, str(saved.stage), body, record.model, record.version,
                                              record.revision))
    if cur.rowcount != 1:
        raise ConcurrencyConflict(f"{record.key} changed since it was read (revision {record.revision})")
    return saved


def _record(row: tuple[int, str]) -> ModelVersionRecord:
    body = json.loads(row[1])
    body["revision"] = row[0]
    body["stage"] = Stage(body["stage"])
    body["history"] = tuple(body.get("history", ()))
    return ModelVersionRecord(**body)
