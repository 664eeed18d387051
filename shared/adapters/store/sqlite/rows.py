"""The SQLite store's statements and row helpers, each a step of a commit or a finish inside one transaction."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Any

from shared.core.lifecycle import ModelVersionRecord
from shared.core.state import Commit, Conflict, Intent, IntentStatus, JobRef

JOURNAL = (
    "INSERT INTO journal (claim_id, occurrence, done, lease_until, outcome, event_id, event_type, at, model, "
    "version, raw, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def to_json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def grouped_only(commit: Commit) -> bool:
    return bool(commit.intents) and commit.grouped and not (commit.records or commit.jobs or commit.occurrence)


def bump(db: sqlite3.Connection, subject: str, revision: int) -> None:
    """Serialize per subject: the decision holds only if nobody committed on the subject since it was read."""
    moved = db.execute(
        "UPDATE subjects SET revision = revision + 1 WHERE subject = ? AND revision = ?", (subject, revision)
    ).rowcount
    if not moved and (revision or db.execute("INSERT OR IGNORE INTO subjects VALUES (?, 1)", (subject,)).rowcount == 0):
        raise Conflict(f"{subject} changed since it was read (revision {revision}): deciding again")


def insert_intents(db: sqlite3.Connection, commit: Commit) -> tuple[tuple[Intent, ...], dict[str, IntentStatus]]:
    pending: list[Intent] = []
    taken: dict[str, IntentStatus] = {}
    for intent in commit.intents:
        inserted = db.execute(
            "INSERT OR IGNORE INTO intents (key, claim_id, status, action, window) VALUES (?, ?, 'pending', ?, ?)",
            (intent.key, commit.claim_id, to_json(intent.action), intent.window),
        ).rowcount
        if not inserted:
            status = db.execute("SELECT status FROM intents WHERE key = ?", (intent.key,)).fetchone()[0]
            taken[intent.key] = IntentStatus(status)
            continue
        earlier = open_window(db, intent) if intent.window else 0
        pending.append(replace(intent, earlier=earlier))
    return tuple(pending), taken


def open_window(db: sqlite3.Connection, intent: Intent) -> int:
    """A new alert window: take the count grouped since the group's last alert and start counting afresh."""
    row = db.execute("SELECT pending FROM groups WHERE grp = ?", (intent.window,)).fetchone()
    earlier = int(row[0]) if row else 0
    if earlier:
        db.execute("UPDATE groups SET pending = 0 WHERE grp = ?", (intent.window,))
        db.execute("UPDATE intents SET earlier = ? WHERE key = ?", (earlier, intent.key))
    return earlier


def write_results(db: sqlite3.Connection, claim_id: str, results: tuple[Intent, ...]) -> None:
    db.executemany(
        "UPDATE intents SET status = ?, result = ? WHERE key = ? AND claim_id = ?",
        [(str(i.status), to_json(i.result), i.key, claim_id) for i in results],
    )


def write_jobs(db: sqlite3.Connection, jobs: tuple[JobRef, ...]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?)",
        [(j.name, j.model, j.purpose, j.submitted_at, to_json(vars(j))) for j in jobs],
    )


def write_record(db: sqlite3.Connection, record: ModelVersionRecord) -> ModelVersionRecord:
    saved = replace(record, revision=record.revision + 1)
    body = to_json(vars(saved))  # flat fields: no deep copy
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


def intent(row: tuple[Any, ...]) -> Intent:
    return Intent(
        key=row[0],
        action=json.loads(row[1]),
        window=row[2],
        earlier=row[3],
        status=IntentStatus(row[4]),
        result=json.loads(row[5]) if row[5] else {},
    )
