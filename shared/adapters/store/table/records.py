"""The Records half of TableStore: lifecycle records under optimistic concurrency, and submitted jobs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from shared.adapters.store.sqlite import ConcurrencyConflict
from shared.adapters.store.table.base import TableBase
from shared.adapters.store.table.codec import guarded, odata, pack, safe_key, unpack
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.ports import JobRef


class TableRecords(TableBase):
    """Records: PartitionKey model, RowKey version, a revision checked with the ETag. Jobs: one partition."""

    @guarded("reading a lifecycle record")
    def get_record(self, model: str, version: str) -> ModelVersionRecord | None:
        row = self._get("Records", model, version)
        return _record(row) if row is not None else None

    @guarded("saving a lifecycle record")
    def save_record(self, record: ModelVersionRecord) -> ModelVersionRecord:
        saved = ModelVersionRecord(**{**asdict(record), "revision": record.revision + 1, "stage": record.stage,
                                      "history": record.history})
        entity = {"PartitionKey": safe_key(record.model), "RowKey": safe_key(record.version),
                  "revision": saved.revision, "stage": str(saved.stage), **pack("body", asdict(saved))}
        if record.revision == 0:
            won = self._insert("Records", entity)
        else:
            row = self._get("Records", record.model, record.version)
            won = (row is not None and int(row["revision"]) == record.revision
                   and self._replace("Records", entity, row.metadata["etag"]))
        if not won:
            raise ConcurrencyConflict(f"{record.key} changed since it was read (revision {record.revision})")
        return saved

    @guarded("reading lifecycle records")
    def records(self, model: str, stage: str | None = None) -> list[ModelVersionRecord]:
        query, params = odata({"PartitionKey": safe_key(model), "stage": stage})
        return [_record(r) for r in self.table("Records").query_entities(query, parameters=params)]

    @guarded("saving a job")
    def save_job(self, job: JobRef) -> None:
        self._upsert("Jobs", {"PartitionKey": "jobs", "RowKey": safe_key(job.name), "model": job.model,
                              "purpose": job.purpose, **pack("body", asdict(job))})

    @guarded("reading a job")
    def get_job(self, name: str) -> JobRef | None:
        row = self._get("Jobs", "jobs", name)
        return JobRef(**unpack(row, "body")) if row is not None else None

    @guarded("reading jobs")
    def jobs_for(self, model: str, purpose: str) -> list[JobRef]:
        query, params = odata({"PartitionKey": "jobs", "model": model, "purpose": purpose})
        jobs = [JobRef(**unpack(r, "body")) for r in self.table("Jobs").query_entities(query, parameters=params)]
        return sorted(jobs, key=lambda j: j.submitted_at, reverse=True)


def _record(row: Mapping[str, Any]) -> ModelVersionRecord:
    body = unpack(row, "body")
    body["revision"] = int(row["revision"])
    body["stage"] = Stage(body["stage"])
    body["history"] = tuple(body.get("history", ()))
    return ModelVersionRecord(**body)
