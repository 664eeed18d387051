"""The second write: finish (results, ledger, completion, a dead letter), and reject an event."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from shared.adapters.store.table.base import merge_mode, replace_mode
from shared.adapters.store.table.codec import guarded, lost_race, status
from shared.adapters.store.table.decision import TableDecisions
from shared.adapters.store.table.inflight import TableInflight
from shared.adapters.store.table.keys import (
    JOB,
    claim_pk,
    claim_rk,
    dead_rk,
    intent_pk,
    intent_rk,
    job_rk,
    legacy_intent_pk,
    model_pk,
    part,
    seq,
)
from shared.adapters.store.table.letters import TableLetters
from shared.adapters.store.table.reads import CLAIMS, JOBS, SUBJECTS
from shared.adapters.store.table.rows import (
    job_props,
    ledger_ops,
    ledger_props,
    outcome_props,
    raw_props,
    result_props,
)
from shared.core.dead_letters import FAILED, REJECTED
from shared.core.state import Finish, Intent, JobRef, LedgerEntry

Op = tuple[Any, ...]
_BATCH = 100  # operations in one transaction at most


class TableFinish(TableDecisions, TableLetters, TableInflight):
    """Finish: each partition's results in one transaction, the claim completes in another (with a dead letter)."""

    @guarded("finishing an event")
    def finish(self, finish: Finish) -> None:
        entry, claim_id = finish.ledger, finish.claim_id
        ops = self._results(finish.results)
        for job in finish.jobs:
            ops[model_pk(job.model)].append(_job_index(job))
        if entry.model:
            ops[model_pk(entry.model)] += ledger_ops(model_pk(entry.model), entry, claim_id, merge_mode())
        self._apply(ops)
        self._save_jobs(finish.jobs)
        extra: list[Op] = []
        if finish.dead_letter:
            letter = (entry.event_id, entry.event_type, entry.at, finish.dead_letter, FAILED)
            extra = self._dead_letter(*letter, finish.raw, claim_id)
        done = {"PartitionKey": claim_pk(claim_id), "RowKey": claim_rk(claim_id), "done": True, "lease": 0.0}
        self._close(claim_id, [("update", {**done, **outcome_props(entry)}, merge_mode()), *extra])
        if self._pending_hits():
            self._flush_hits()

    @guarded("rejecting an event")
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
        claim_id = f"{event_id}#rejected:{uuid.uuid4().hex}"
        self._note_received(LedgerEntry(event_id=event_id, event_type=event_type, at=at, outcome="rejected"))
        entry = LedgerEntry(
            event_id=event_id,
            event_type=event_type,
            at=at,
            outcome="rejected",
            model=model,
            version=version,
            detail={"error": reason},
        )
        claim = {
            "PartitionKey": claim_pk(claim_id),
            "RowKey": claim_rk(claim_id),
            "claim": claim_id,
            "done": True,
            "lease": 0.0,
            "seq": seq(),
            "marker": "",
            **ledger_props(entry),
        }
        self._submit(
            CLAIMS, [("create", claim), *self._dead_letter(event_id, event_type, at, reason, REJECTED, raw, claim_id)]
        )
        if model:  # so the model version's history shows the refusal ("already rejected by ...")
            self._index_ledger(entry, claim_id, claim["seq"])

    def _results(self, results: Iterable[Intent]) -> defaultdict[str, list[Op]]:
        ops: defaultdict[str, list[Op]] = defaultdict(list)
        for intent in results:
            pk = intent_pk(intent)
            ops[pk].append(("update", _result(pk, intent), merge_mode()))
            if pk != legacy_intent_pk(intent) and not intent.window:
                ops[_LEGACY].append(("update", _result(legacy_intent_pk(intent), intent), merge_mode()))
        return ops

    def _apply(self, ops: Mapping[str, list[Op]]) -> None:
        """Each partition's updates in transactions; a notice committed before notices moved to their model's
        partition is still in its own (`_LEGACY` holds where each would be then): its result goes there."""
        legacy = {str(op[1]["RowKey"]): op for op in ops.get(_LEGACY, [])}
        for pk, batch in ops.items():
            if pk == _LEGACY:
                continue
            for i in range(0, len(batch), _BATCH):
                chunk = batch[i : i + _BATCH]
                try:
                    self._submit(SUBJECTS, chunk)
                except Exception as exc:
                    if status(exc) != 404 or not any(str(op[1]["RowKey"]) in legacy for op in chunk):
                        raise
                    self._one_by_one(chunk, legacy)

    def _one_by_one(self, batch: list[Op], legacy: Mapping[str, Op]) -> None:
        for op in batch:
            try:
                self._submit(SUBJECTS, [op])
            except Exception as exc:
                if status(exc) != 404 or op[1]["RowKey"] not in legacy:
                    raise
                self._submit(SUBJECTS, [legacy[op[1]["RowKey"]]])

    def _save_jobs(self, jobs: Iterable[JobRef], created: list[str] | None = None) -> None:
        """Each job by name; `created` collects jobs newly submitted (a rolled-back commit deletes them)."""
        for job in jobs:  # an open job's in-flight row went with its claim; a closed one's is cleared when read
            entity = {"PartitionKey": part(job.name), "RowKey": JOB, **job_props(job)}
            if created is not None and job.status == "Submitted":
                try:
                    self.table(JOBS).create_entity(entity)
                    created.append(job.name)
                    continue
                except Exception as exc:
                    if status(exc) != 409:
                        raise
            self.table(JOBS).upsert_entity(entity, **replace_mode())

    def _dead_letter(
        self, event_id: str, event_type: str, at: str, reason: str, kind: str, raw: Mapping[str, Any], claim_id: str
    ) -> list[Op]:
        """List the dead letter (newest first); the event's own copy joins the claim's transaction (returned)."""
        listed = self._list_letter(event_id, event_type, at, reason, kind, raw)
        own = {"PartitionKey": claim_pk(event_id), "RowKey": dead_rk(event_id), "letter": listed, **raw_props(raw)}
        if claim_pk(event_id) == claim_pk(claim_id):
            return [("upsert", own, replace_mode())]
        self.table(CLAIMS).upsert_entity(own, **replace_mode())
        return []

    def _close(self, claim_id: str, ops: list[Op]) -> None:
        """Complete the claim and drop its open entry (absent when it completed before: then without it)."""
        gone = ("delete", {"PartitionKey": claim_pk(claim_id), "RowKey": f"open:{part(claim_id)}"})
        try:
            self._submit(CLAIMS, [*ops, gone])
        except Exception as exc:
            if not lost_race(exc):
                raise
            self._submit(CLAIMS, ops)

    def _complete(self, claim_id: str) -> None:
        done = {"PartitionKey": claim_pk(claim_id), "RowKey": claim_rk(claim_id), "done": True, "lease": 0.0}
        self._close(claim_id, [("update", done, merge_mode())])

    def _index_ledger(self, entry: LedgerEntry, claim_id: str, order: str) -> None:
        self._submit(SUBJECTS, ledger_ops(model_pk(entry.model or ""), entry, claim_id, replace_mode(), seq=order))


_LEGACY = ""  # in `_results`: where each notice's result would go in the layout before


def _result(pk: str, intent: Intent) -> dict[str, Any]:
    return {"PartitionKey": pk, "RowKey": intent_rk(intent.key), **result_props(intent)}


def _job_index(job: JobRef) -> Op:
    pk = model_pk(job.model)
    return ("upsert", {"PartitionKey": pk, "RowKey": job_rk(job), **job_props(job)}, replace_mode())
