"""The embedded Store: one SQLite file in WAL mode, safe across threads and processes; two writes per event."""

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

from shared.adapters.sqlite_file import ThreadConnections
from shared.adapters.store.sqlite.reads import SqliteReads
from shared.adapters.store.sqlite.schema import WAL_CHECKPOINT_PAGES, migrate
from shared.core.errors import TransientError
from shared.core.lifecycle import ModelVersionRecord
from shared.core.state import (
    Adopted,
    Claimed,
    Commit,
    Committed,
    Conflict,
    Finish,
    Intent,
    IntentStatus,
    JobRef,
    LedgerEntry,
)

__all__ = ["WAL_CHECKPOINT_PAGES", "ConcurrencyConflict", "SqliteStore"]
ConcurrencyConflict = Conflict  # the name earlier versions used

_JOURNAL = (
    "INSERT INTO journal (claim_id, occurrence, done, lease_until, outcome, event_id, event_type, at, model, "
    "version, raw, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_HITS_BATCH = 64  # grouped-alert counts are written in batches: a count may lag by this much per process


def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


class SqliteStore(SqliteReads):
    """Claims, decisions, intents, records, jobs, ledger and dead letters in one SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = ThreadConnections(path, checkpoint_pages=WAL_CHECKPOINT_PAGES)
        self._hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()
        migrate(self._db(), path)

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

    # The first write: claim + decision + intents

    def commit(self, commit: Commit, now: datetime, lease_seconds: int) -> Committed:
        if _grouped_only(commit):
            return self._commit_grouped(commit, now)
        with self._tx() as db:
            found = self._claim(db, commit, now, now.timestamp() + lease_seconds)
            if found is not None:
                return found
            if commit.records or commit.jobs:
                for subject, revision in commit.subjects.items():
                    _bump(db, subject, revision)
            for record in commit.records:
                _write_record(db, record)
            _write_jobs(db, commit.jobs)
            self._flush_hits(db)
            pending, taken = _insert_intents(db, commit)
            done = not pending and not taken
            if done:
                db.execute("UPDATE journal SET done = 1 WHERE claim_id = ?", (commit.claim_id,))
        self._count_hits(commit, taken)
        return Committed(claimed=Claimed.COMMITTED, claim_id=commit.claim_id, pending=pending, taken=taken, done=done)

    def _commit_grouped(self, commit: Commit, now: datetime) -> Committed:
        """A storm's fast path: every intent is an alert window owned elsewhere; one statement records the event."""
        db = self._db()
        row = self._journal_row(commit, done=True, lease_until=0)
        if db.execute(_JOURNAL.replace("INSERT", "INSERT OR IGNORE", 1), row).rowcount == 0:
            found = self._found(db, commit, now)
            if found is not None:
                return found
            raise TransientError(f"event {commit.claim_id} is being handled elsewhere")
        taken = {i.key: IntentStatus.DONE for i in commit.intents}
        self._count_hits(commit, taken)
        if sum(self._hits.values()) >= _HITS_BATCH:
            with self._tx() as tx:
                self._flush_hits(tx)
        return Committed(claimed=Claimed.COMMITTED, claim_id=commit.claim_id, taken=taken, done=True)

    def _claim(self, db: sqlite3.Connection, commit: Commit, now: datetime, until: float) -> Committed | None:
        try:
            db.execute(_JOURNAL, self._journal_row(commit, done=False, lease_until=until))
        except sqlite3.IntegrityError:
            found = self._found(db, commit, now)
            if found is None:
                raise TransientError(f"event {commit.claim_id} is being handled elsewhere") from None
            return found
        return None

    def _found(self, db: sqlite3.Connection, commit: Commit, now: datetime) -> Committed | None:
        """The claim (or occurrence) already there: a duplicate, a stalled attempt to adopt, or None if leased."""
        row = db.execute(
            "SELECT claim_id, done, lease_until FROM journal WHERE claim_id = ?", (commit.claim_id,)
        ).fetchone()
        if row is None and commit.occurrence is not None:
            row = db.execute(
                "SELECT claim_id, done, lease_until FROM journal WHERE occurrence = ?", (commit.occurrence,)
            ).fetchone()
        if row is None:
            return None
        if row[1]:
            return Committed(claimed=Claimed.DUPLICATE, claim_id=row[0])
        if row[2] > now.timestamp():
            until = datetime.fromtimestamp(row[2], UTC).isoformat(timespec="seconds")
            raise TransientError(f"event {commit.claim_id} is being handled elsewhere (lease until {until})")
        return Committed(claimed=Claimed.STALLED, claim_id=row[0])

    @staticmethod
    def _journal_row(commit: Commit, *, done: bool, lease_until: float) -> tuple[Any, ...]:
        entry = commit.ledger
        return (
            commit.claim_id,
            commit.occurrence,
            int(done),
            lease_until,
            entry.outcome,
            entry.event_id,
            entry.event_type,
            entry.at,
            entry.model,
            entry.version,
            _json(commit.raw),
            _json(entry.detail),
        )

    # The second write: results + ledger + completion

    def finish(self, finish: Finish) -> None:
        entry = finish.ledger
        with self._tx() as db:
            _write_results(db, finish.claim_id, finish.results)
            _write_jobs(db, finish.jobs)
            if finish.dead_letter:
                db.execute(
                    "INSERT INTO dead_letters (event_id, at, reason, raw) VALUES (?, ?, ?, ?)",
                    (entry.event_id, entry.at, finish.dead_letter, _json(finish.raw)),
                )
            self._flush_hits(db)
            db.execute(
                "UPDATE journal SET done = 1, lease_until = 0, outcome = ?, detail = ? WHERE claim_id = ?",
                (entry.outcome, _json(entry.detail), finish.claim_id),
            )

    def release(self, claim_id: str, results: tuple[Intent, ...] = ()) -> None:
        with self._tx() as db:
            _write_results(db, claim_id, results)
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
            intents=tuple(_intent(r) for r in intents),
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
            db.execute(
                "INSERT INTO dead_letters (event_id, at, reason, raw) VALUES (?, ?, ?, ?)",
                (event_id, at, reason, _json(raw)),
            )
            db.execute(
                _JOURNAL,
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
                    _json({"error": reason}),
                ),
            )

    def prune(self, before: str, *, apply: bool) -> dict[str, int]:
        old = "SELECT claim_id FROM journal WHERE done = 1 AND at < ?"
        counts = {
            "events": self._one(f"SELECT count(*) FROM ({old})", before)[0],
            "intents": self._one(
                f"SELECT count(*) FROM intents WHERE status != 'pending' AND claim_id IN ({old})", before
            )[0],
            "dead letters": self._one("SELECT count(*) FROM dead_letters WHERE at < ?", before)[0],
        }
        if apply:
            with self._tx() as db:
                db.execute(f"DELETE FROM intents WHERE status != 'pending' AND claim_id IN ({old})", (before,))
                db.execute("DELETE FROM journal WHERE done = 1 AND at < ?", (before,))
                db.execute("DELETE FROM dead_letters WHERE at < ?", (before,))
        return counts

    # Grouped alerts: counted in memory, written with the next transaction

    def _count_hits(self, commit: Commit, taken: Mapping[str, IntentStatus]) -> None:
        windows = [i.window for i in commit.intents if i.window and i.key in taken]
        if windows:
            with self._hits_lock:
                self._hits.update(windows)

    def _flush_hits(self, db: sqlite3.Connection) -> None:
        with self._hits_lock:
            hits, self._hits = self._hits, Counter()
        if hits:
            db.executemany(
                "INSERT INTO groups (grp, pending) VALUES (?, ?) ON CONFLICT (grp) DO UPDATE SET "
                "pending = pending + excluded.pending",
                list(hits.items()),
            )


def _grouped_only(commit: Commit) -> bool:
    return bool(commit.intents) and commit.grouped and not (commit.records or commit.jobs or commit.occurrence)


def _bump(db: sqlite3.Connection, subject: str, revision: int) -> None:
    """Serialize per subject: the decision holds only if nobody committed on the subject since it was read."""
    moved = db.execute(
        "UPDATE subjects SET revision = revision + 1 WHERE subject = ? AND revision = ?", (subject, revision)
    ).rowcount
    if not moved and (revision or db.execute("INSERT OR IGNORE INTO subjects VALUES (?, 1)", (subject,)).rowcount == 0):
        raise Conflict(f"{subject} changed since it was read (revision {revision}): deciding again")


def _insert_intents(db: sqlite3.Connection, commit: Commit) -> tuple[tuple[Intent, ...], dict[str, IntentStatus]]:
    pending: list[Intent] = []
    taken: dict[str, IntentStatus] = {}
    for intent in commit.intents:
        inserted = db.execute(
            "INSERT OR IGNORE INTO intents (key, claim_id, status, action, window) VALUES (?, ?, 'pending', ?, ?)",
            (intent.key, commit.claim_id, _json(intent.action), intent.window),
        ).rowcount
        if not inserted:
            status = db.execute("SELECT status FROM intents WHERE key = ?", (intent.key,)).fetchone()[0]
            taken[intent.key] = IntentStatus(status)
            continue
        earlier = _open_window(db, intent) if intent.window else 0
        pending.append(replace(intent, earlier=earlier))
    return tuple(pending), taken


def _open_window(db: sqlite3.Connection, intent: Intent) -> int:
    """A new alert window: take the count grouped since the group's last alert and start counting afresh."""
    row = db.execute("SELECT pending FROM groups WHERE grp = ?", (intent.window,)).fetchone()
    earlier = int(row[0]) if row else 0
    if earlier:
        db.execute("UPDATE groups SET pending = 0 WHERE grp = ?", (intent.window,))
        db.execute("UPDATE intents SET earlier = ? WHERE key = ?", (earlier, intent.key))
    return earlier


def _write_results(db: sqlite3.Connection, claim_id: str, results: tuple[Intent, ...]) -> None:
    db.executemany(
        "UPDATE intents SET status = ?, result = ? WHERE key = ? AND claim_id = ?",
        [(str(i.status), _json(i.result), i.key, claim_id) for i in results],
    )


def _write_jobs(db: sqlite3.Connection, jobs: tuple[JobRef, ...]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?)",
        [(j.name, j.model, j.purpose, j.submitted_at, _json(asdict(j))) for j in jobs],
    )


def _write_record(db: sqlite3.Connection, record: ModelVersionRecord) -> ModelVersionRecord:
    saved = replace(record, revision=record.revision + 1)
    body = _json(asdict(saved))
    if record.revision == 0:
        cur = db.execute(
            "INSERT OR IGNORE INTO records VALUES (?, ?, 1, ?, ?)",
            (record.model, record.version, str(record.stage), body),
        )
    else:
        cur = db.execute(
            "UPDATE records SET revision = ?, stage = ?, body = ? WHERE model = ? AND version = ? AND revision = ?",
            (saved.revision, str(saved.stage), body, record.model, record.version, record.revision),
        )
    if cur.rowcount != 1:
        raise Conflict(f"{record.key} changed since it was read (revision {record.revision})")
    return saved


def _intent(row: tuple[Any, ...]) -> Intent:
    return Intent(
        key=row[0],
        action=json.loads(row[1]),
        window=row[2],
        earlier=row[3],
        status=IntentStatus(row[4]),
        result=json.loads(row[5]) if row[5] else {},
    )
