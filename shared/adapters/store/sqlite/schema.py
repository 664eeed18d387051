"""The SQLite store's schema: every query the store makes has a key or an index here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from shared.adapters.store.sqlite.inflight import INFLIGHT_SCHEMA
from shared.adapters.store.sqlite.letters import add_letter_columns
from shared.core.errors import PermanentError

SCHEMA_VERSION = 5
# Checkpoint the WAL every ~40 MiB rather than SQLite's 4 MiB: journal rows are large, checkpoints dominate.
WAL_CHECKPOINT_PAGES = 10000
SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, claim_id TEXT NOT NULL UNIQUE, occurrence TEXT,
    done INTEGER NOT NULL DEFAULT 0, lease_until REAL NOT NULL DEFAULT 0, outcome TEXT, event_id TEXT,
    event_type TEXT, at TEXT, model TEXT, version TEXT, raw TEXT, detail TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS journal_occurrence ON journal (occurrence) WHERE occurrence IS NOT NULL;
CREATE INDEX IF NOT EXISTS journal_model ON journal (model, seq) WHERE model IS NOT NULL;
CREATE INDEX IF NOT EXISTS journal_version ON journal (model, version, seq) WHERE model IS NOT NULL;
CREATE INDEX IF NOT EXISTS journal_stalled ON journal (lease_until) WHERE done = 0;
CREATE TABLE IF NOT EXISTS subjects (subject TEXT PRIMARY KEY, revision INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS intents (key TEXT PRIMARY KEY, claim_id TEXT NOT NULL, status TEXT NOT NULL,
    action TEXT NOT NULL, window TEXT, earlier INTEGER NOT NULL DEFAULT 0, result TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS intents_claim ON intents (claim_id);
CREATE TABLE IF NOT EXISTS groups (grp TEXT PRIMARY KEY, pending INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (model TEXT NOT NULL, version TEXT NOT NULL, revision INTEGER NOT NULL,
    stage TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (model, version)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_stage ON records (model, stage);
CREATE INDEX IF NOT EXISTS records_due ON records (json_extract(body, '$.waiting_until')) WHERE stage = 'staging';
CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, model TEXT NOT NULL, purpose TEXT NOT NULL,
    submitted_at TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_model ON jobs (model, purpose, submitted_at);
CREATE TABLE IF NOT EXISTS dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL,
    at TEXT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dead_letters_event ON dead_letters (event_id);
CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, ended INTEGER NOT NULL, until TEXT NOT NULL,
    ended_at TEXT, body TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS silences_open ON silences (until) WHERE ended = 0;
CREATE INDEX IF NOT EXISTS silences_ended ON silences (ended_at) WHERE ended = 1;
CREATE TABLE IF NOT EXISTS silence_holds (silence TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (silence, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS budget_resets (model TEXT PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID;
"""


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Create the schema, or refuse state written by another version."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    has_tables = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table'").fetchone() is not None
    if version not in (0, SCHEMA_VERSION) or (version == 0 and has_tables):
        raise PermanentError(
            f"{path} holds state of another version of MLOps Reactor (schema {version}, "
            f"expected {SCHEMA_VERSION}): move it away or start afresh (make run ARGS=--reset)"
        )
    db.executescript(SCHEMA + INFLIGHT_SCHEMA)
    add_letter_columns(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
