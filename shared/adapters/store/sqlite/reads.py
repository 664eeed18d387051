"""The SQLite store's reads: each a key lookup or an indexed range, bounded where history grows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from shared.core.dead_letters import BadQuery
from shared.core.ledger_pages import LedgerPage, LedgerQuery, cursor_at, position
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.state import Claimed, JobRef, LedgerEntry

_LEDGER = "SELECT event_id, event_type, at, outcome, model, version, detail FROM journal WHERE detail IS NOT NULL"
_LEDGER_SEQ = _LEDGER.replace(", detail FROM", ", detail, seq FROM", 1)


class SqliteReads:
    """Lookups over the tables `shared.adapters.store.sqlite.schema` defines."""

    _db: Callable[[], sqlite3.Connection]

    def _one(self, sql: str, *args: Any) -> Any:
        return self._db().execute(sql, args).fetchone()

    def subject_revision(self, subject: str, versions: Sequence[str] = ()) -> int:
        row = self._one("SELECT revision FROM subjects WHERE subject = ?", subject)
        return int(row[0]) if row else 0

    def is_completed(self, claim_id: str) -> bool:
        return bool(self._one("SELECT 1 FROM journal WHERE claim_id = ? AND done = 1", claim_id))

    def claim_status(self, claim_id: str, now: float) -> Claimed | None:
        """DUPLICATE if completed, STALLED if committed and its lease ran out, None otherwise."""
        row = self._one("SELECT done, lease_until FROM journal WHERE claim_id = ?", claim_id)
        if row is None:
            return None
        if row[0]:
            return Claimed.DUPLICATE
        return Claimed.STALLED if row[1] <= now else None

    def get_record(self, model: str, version: str) -> ModelVersionRecord | None:
        row = self._one("SELECT revision, body FROM records WHERE model = ? AND version = ?", model, version)
        return record_of(row) if row else None

    def records(self, model: str, stage: str | None = None) -> list[ModelVersionRecord]:
        if stage is None:
            rows = self._db().execute("SELECT revision, body FROM records WHERE model = ?", (model,))
        else:  # the planner would walk every version of the model by primary key: the index reads the stage's only
            rows = self._db().execute(
                "SELECT revision, body FROM records INDEXED BY records_stage WHERE model = ? AND stage = ?",
                (model, stage),
            )
        return [record_of(row) for row in rows]

    def due_approvals(self, now: str, limit: int) -> list[ModelVersionRecord]:
        rows = self._db().execute(
            "SELECT revision, body FROM records WHERE stage = 'staging' AND json_extract(body, '$.waiting_until') <= ? "
            "ORDER BY json_extract(body, '$.waiting_until') LIMIT ?",
            (now, limit),
        )
        return [record_of(row) for row in rows]

    def get_job(self, name: str) -> JobRef | None:
        row = self._one("SELECT body FROM jobs WHERE name = ?", name)
        return JobRef(**json.loads(row[0])) if row else None

    def jobs_for(self, model: str, purpose: str, limit: int = 20) -> list[JobRef]:
        rows = self._db().execute(
            "SELECT body FROM jobs WHERE model = ? AND purpose = ? ORDER BY submitted_at DESC LIMIT ?",
            (model, purpose, limit),
        )
        return [JobRef(**json.loads(r[0])) for r in rows]

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        row = self._one("SELECT raw FROM journal WHERE claim_id = ? AND raw IS NOT NULL", event_id)
        if row is None:
            row = self._one("SELECT raw FROM dead_letters WHERE event_id = ? ORDER BY seq DESC LIMIT 1", event_id)
        return dict(json.loads(row[0])) if row else None

    def ledger(
        self,
        *,
        event_id: str | None = None,
        model: str | None = None,
        version: str | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        where: list[str] = []
        args: list[Any] = []
        if event_id is not None:  # its claims are `<id>` and `<id>#...` (forced runs, rejections): a key range
            where.append("claim_id >= ? AND claim_id < ? AND (claim_id = ? OR claim_id > ?)")
            args += [event_id, event_id + "$", event_id, event_id + "#"]
        for column, value in (("model", model), ("version", version)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = _LEDGER + "".join(f" AND {w}" for w in where) + " ORDER BY seq DESC"
        if limit is not None:
            sql, args = sql + " LIMIT ?", [*args, limit]
        rows = self._db().execute(sql, args).fetchall()
        return [
            LedgerEntry(
                event_id=r[0], event_type=r[1], at=r[2], outcome=r[3], model=r[4], version=r[5], detail=json.loads(r[6])
            )
            for r in reversed(rows)
        ]

    def ledger_page(self, query: LedgerQuery) -> LedgerPage:
        where, args = "model = ?", list[Any]([query.model])
        if query.version is not None:
            where, args = where + " AND version = ?", [*args, query.version]
        if query.cursor is not None:
            kind, seq = position(query.cursor)
            if kind != "seq" or not seq.isdigit():
                raise BadQuery("cursor", "a cursor from a previous page ('next')", query.cursor)
            where, args = where + " AND seq < ?", [*args, int(seq)]
        rows = (
            self._db()
            .execute(f"{_LEDGER_SEQ} AND {where} ORDER BY seq DESC LIMIT ?", (*args, query.limit + 1))
            .fetchall()
        )
        entries = [
            LedgerEntry(
                event_id=r[0], event_type=r[1], at=r[2], outcome=r[3], model=r[4], version=r[5], detail=json.loads(r[6])
            )
            for r in rows[: query.limit]
        ]
        more = len(rows) > query.limit
        return LedgerPage(entries, cursor_at("seq", str(rows[query.limit - 1][7])) if more else None)

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._db().execute(
            "SELECT event_id, at, reason, raw FROM dead_letters ORDER BY seq DESC LIMIT ?", (limit,)
        )
        return [{"event_id": r[0], "at": r[1], "reason": r[2], "raw": json.loads(r[3])} for r in rows]

    def stalled(self, now: Any, limit: int) -> list[str]:
        rows = self._db().execute(
            "SELECT claim_id FROM journal WHERE done = 0 AND lease_until <= ? ORDER BY lease_until LIMIT ?",
            (now.timestamp(), limit),
        )
        return [r[0] for r in rows]


def record_of(row: tuple[int, str]) -> ModelVersionRecord:
    """A record from its stored revision and JSON body."""
    body = json.loads(row[1])
    body["revision"] = row[0]
    body["stage"] = Stage(body["stage"])
    body["history"] = tuple(body.get("history", ()))
    return ModelVersionRecord(**body)
