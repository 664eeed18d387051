"""The embedded Store: one SQLite file in WAL mode, safe across threads and processes; two writes per event."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.sqlite_file import ThreadConnections
from shared.adapters.store.sqlite.guards import SqliteGuards
from shared.adapters.store.sqlite.inflight import SqliteInflight
from shared.adapters.store.sqlite.letters import INSERT_LETTER, SqliteLetters
from shared.adapters.store.sqlite.reads import SqliteReads
from shared.adapters.store.sqlite.recovery import SqliteRecovery
from shared.adapters.store.sqlite.rows import (
    JOURNAL,
    bump,
    grouped_only,
    insert_intents,
    to_json,
    write_jobs,
    write_record,
    write_results,
)
from shared.adapters.store.sqlite.schema import WAL_CHECKPOINT_PAGES, migrate
from shared.core.dead_letters import FAILED
from shared.core.errors import TransientError
from shared.core.state import (
    Claimed,
    Commit,
    Committed,
    Conflict,
    Finish,
    IntentStatus,
)

__all__ = ["WAL_CHECKPOINT_PAGES", "ConcurrencyConflict", "SqliteStore"]
ConcurrencyConflict = Conflict  # the name earlier versions used

_HITS_BATCH = 64  # grouped-alert counts are written in batches: a count may lag by this much per process


class SqliteStore(SqliteRecovery, SqliteReads, SqliteLetters, SqliteInflight, SqliteGuards):
    """Claims, decisions, intents, records, jobs, ledger and dead letters in one SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = ThreadConnections(path, checkpoint_pages=WAL_CHECKPOINT_PAGES, cache_mib=32)
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
        if grouped_only(commit):
            return self._commit_grouped(commit, now)
        with self._tx() as db:
            found = self._claim(db, commit, now, now.timestamp() + lease_seconds)
            if found is not None:
                return found
            if commit.records or commit.jobs:
                for subject, revision in commit.subjects.items():
                    bump(db, subject, revision)
            for record in commit.records:
                write_record(db, record)
            write_jobs(db, commit.jobs)
            self._flush_hits(db)
            pending, taken = insert_intents(db, commit)
            done = not pending and not taken
            if done:
                db.execute("UPDATE journal SET done = 1 WHERE claim_id = ?", (commit.claim_id,))
        self._count_hits(commit, taken)
        return Committed(claimed=Claimed.COMMITTED, claim_id=commit.claim_id, pending=pending, taken=taken, done=done)

    def _commit_grouped(self, commit: Commit, now: datetime) -> Committed:
        """A storm's fast path: every intent is an alert window owned elsewhere; one statement records the event."""
        db = self._db()
        row = self._journal_row(commit, done=True, lease_until=0)
        if db.execute(JOURNAL.replace("INSERT", "INSERT OR IGNORE", 1), row).rowcount == 0:
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
            db.execute(JOURNAL, self._journal_row(commit, done=False, lease_until=until))
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
            to_json(commit.raw),
            to_json(entry.detail),
        )

    # The second write: results + ledger + completion

    def finish(self, finish: Finish) -> None:
        entry = finish.ledger
        with self._tx() as db:
            write_results(db, finish.claim_id, finish.results)
            write_jobs(db, finish.jobs)
            if finish.dead_letter:
                db.execute(
                    INSERT_LETTER,
                    (entry.event_id, entry.at, finish.dead_letter, to_json(finish.raw), entry.event_type, FAILED),
                )
            self._flush_hits(db)
            db.execute(
                "UPDATE journal SET done = 1, lease_until = 0, outcome = ?, detail = ? WHERE claim_id = ?",
                (entry.outcome, to_json(entry.detail), finish.claim_id),
            )

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
