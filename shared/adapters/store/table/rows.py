"""Entities to values and back: claims (with their ledger entry), intents, records, jobs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from shared.adapters.store.table.codec import pack, unpack
from shared.adapters.store.table.keys import ledger_rk, log_rk
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.state import Intent, IntentStatus, JobRef, LedgerEntry

Entity = Mapping[str, Any]
RAW_BUDGET, DETAIL_BUDGET = 600_000, 200_000  # UTF-16 bytes: with the rest, a claim stays under 1 MiB


def ledger_props(entry: LedgerEntry) -> dict[str, Any]:
    """A ledger entry as properties (None fields left out)."""
    props: dict[str, Any] = {"event_id": entry.event_id, "event_type": entry.event_type, "at": entry.at}
    props.update({k: v for k, v in (("model", entry.model), ("version", entry.version)) if v is not None})
    return {**props, **outcome_props(entry)}


def ledger_ops(pk: str, entry: LedgerEntry, claim_id: str, options: Mapping[str, Any], **extra: Any) -> list[Any]:
    """Upserts of an entry's two rows in its model's partition: by version (`logged`: it has the other; rows
    written before the model-wide log have none) and across versions, newest first."""
    props = {"PartitionKey": pk, **extra, **ledger_props(entry)}
    return [
        ("upsert", {**props, "RowKey": ledger_rk(entry, claim_id), "logged": True}, options),
        ("upsert", {**props, "RowKey": log_rk(entry, claim_id)}, options),
    ]


def outcome_props(entry: LedgerEntry) -> dict[str, Any]:
    return {"outcome": entry.outcome, **pack("detail", entry.detail, DETAIL_BUDGET)}


def ledger_of(row: Entity) -> LedgerEntry:
    return LedgerEntry(
        event_id=str(row["event_id"]),
        event_type=str(row["event_type"]),
        at=str(row["at"]),
        outcome=str(row["outcome"]),
        model=row.get("model"),
        version=row.get("version"),
        detail=unpack(row, "detail"),
    )


def raw_props(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    return pack("raw", raw, RAW_BUDGET) if raw is not None else {}


def intent_props(intent: Intent, claim_id: str, earlier: int) -> dict[str, Any]:
    props = {"key": intent.key, "claim": claim_id, "status": str(IntentStatus.PENDING), "earlier": earlier}
    return {**props, **({"window": intent.window} if intent.window else {}), **pack("action", intent.action)}


def result_props(intent: Intent) -> dict[str, Any]:
    return {"status": str(intent.status), **pack("result", intent.result)}


def intent_of(row: Entity) -> Intent:
    return Intent(
        key=str(row["key"]),
        action=unpack(row, "action") or {},
        window=row.get("window"),
        earlier=int(row.get("earlier", 0)),
        status=IntentStatus(row["status"]),
        result=unpack(row, "result") or {},
    )


def record_props(record: ModelVersionRecord) -> dict[str, Any]:
    return {"revision": record.revision, "stage": str(record.stage), **pack("body", asdict(record))}


def record_of(row: Entity) -> ModelVersionRecord:
    body = unpack(row, "body")
    body["revision"] = int(row["revision"])
    body["stage"] = Stage(body["stage"])
    body["history"] = tuple(body.get("history", ()))
    return ModelVersionRecord(**body)


def job_props(job: JobRef) -> dict[str, Any]:
    return {"name": job.name, **pack("body", asdict(job))}


def job_of(row: Entity) -> JobRef:
    return JobRef(**unpack(row, "body"))
