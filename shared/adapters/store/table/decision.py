"""Writing a commit's decision: one entity-group transaction per partition it touches (one, mostly).

A model's partition takes its records, the subject's revision (ETag-checked), its jobs, its ledger entry and the
intents of its actions, all or nothing. Intents are inserted only where absent: a transaction that fails on an
intent someone holds is read again and retried without it (that key is `taken`); a moved revision is a Conflict.
The last partition also takes the claim's marker, so a claim whose decision never got written is told apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from shared.adapters.store.table.base import etag_of, if_match, replace_mode
from shared.adapters.store.table.claims import ATTEMPTS
from shared.adapters.store.table.codec import lost_race
from shared.adapters.store.table.keys import (
    COUNTER,
    SUBJECT,
    intent_pk,
    intent_rk,
    job_rk,
    marker_rk,
    model_pk,
    record_rk,
)
from shared.adapters.store.table.occurrences import TableOccurrences
from shared.adapters.store.table.reads import SUBJECTS
from shared.adapters.store.table.rows import intent_of, intent_props, job_props, ledger_ops, record_props
from shared.core.errors import TransientError
from shared.core.state import Commit, Conflict, Intent, IntentStatus

Known = dict[str, Mapping[str, Any] | None]  # RowKey -> entity as read (with its "etag"), None: absent
_OPEN = (IntentStatus.PENDING, IntentStatus.UNANSWERED)


@dataclass
class Outcome:
    """What a partition's transaction left: intents this claim owns, keys others own, hits it used."""

    pending: list[Intent] = field(default_factory=list)
    taken: dict[str, IntentStatus] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)


def partitions(commit: Commit) -> dict[str, list[Intent]]:
    """Each partition the decision writes, in write order (models first: a conflict stops before the rest)."""
    found: dict[str, list[Intent]] = {}
    models = [*(commit.subjects if commit.records or commit.jobs else ()), *(r.model for r in commit.records)]
    for model in [*models, *(j.model for j in commit.jobs)]:
        found.setdefault(model_pk(model), [])
    for intent in commit.intents:
        found.setdefault(intent_pk(intent), []).append(intent)
    if commit.ledger.model and found:
        found.setdefault(model_pk(commit.ledger.model), [])
    return {pk: found[pk] for pk in sorted(found, key=lambda pk: (not pk.startswith("model:"), pk))}


class TableDecisions(TableOccurrences):
    """Write one partition of a decision, reading only what the ETag cache cannot tell."""

    def _write_part(self, commit: Commit, pk: str, intents: list[Intent], marker: bool, order: str) -> Outcome:
        checked = _checked(commit, pk)
        known: Known = {}
        for rk, revision in checked.items():
            cached = self._recalled(pk, rk) if revision else None
            if cached is not None and cached[0] == revision:
                known[rk] = {"revision": revision, "etag": cached[1]}
        # First the revisions the cache lacks and a window's counter: the intents are expected absent (one someone
        # holds fails the transaction); after a lost race, whatever the transaction holds, as it is now.
        counter = [COUNTER] if any(i.window for i in intents) else []
        read_all = False
        for _ in range(ATTEMPTS):
            if read_all:
                known = self._known(pk, [*checked, *(intent_rk(i.key) for i in intents), COUNTER])
            elif wanted := [rk for rk, rev in checked.items() if rev and rk not in known] + counter:
                known |= self._known(pk, wanted)
            ops, outcome = self._ops(commit, pk, intents, known, (marker, order))
            if not ops:
                return outcome
            try:
                self._submit(SUBJECTS, ops)
            except Exception as exc:
                self._give_back(outcome.hits)
                if not lost_race(exc):
                    raise
                read_all = True
                continue
            self._forget(pk, checked)
            return outcome
        raise TransientError(f"{pk} is too busy to write {commit.claim_id}'s decision; will retry")

    def _known(self, pk: str, rks: list[str]) -> Known:
        rows = self._rows(SUBJECTS, pk, rks)
        return {rk: ({**rows[rk], "etag": etag_of(rows[rk])} if rk in rows else None) for rk in rks}

    def _ops(
        self, commit: Commit, pk: str, intents: list[Intent], known: Known, last: tuple[bool, str]
    ) -> tuple[list[tuple[Any, ...]], Outcome]:
        """The partition's transaction; Conflict if a revision it decided on moved. `last`: (marker?, seq)."""
        marker, order = last
        keys: dict[str, Any] = {"PartitionKey": pk}
        ops: list[tuple[Any, ...]] = [*_revisions(commit, pk, known)]
        ops += [
            ("upsert", {**keys, "RowKey": job_rk(j), **job_props(j)}, replace_mode())
            for j in commit.jobs
            if model_pk(j.model) == pk
        ]
        if commit.ledger.model and model_pk(commit.ledger.model) == pk:
            ops += ledger_ops(pk, commit.ledger, commit.claim_id, replace_mode(), seq=order)
        outcome, counted = Outcome(), False
        for intent in intents:
            row = known.get(intent_rk(intent.key))
            if row is not None:
                held = intent_of(row)
                if row["claim"] == commit.claim_id and held.status in _OPEN:
                    outcome.pending.append(held)  # ours: an earlier attempt of this claim wrote it
                else:
                    outcome.taken[intent.key] = held.status
                continue
            earlier = 0
            if intent.window and not counted:
                counted, earlier = True, self._open_window(intent.window, known.get(COUNTER), ops, outcome)
            ops.append(
                ("create", {**keys, "RowKey": intent_rk(intent.key), **intent_props(intent, commit.claim_id, earlier)})
            )
            outcome.pending.append(replace(intent, earlier=earlier, status=IntentStatus.PENDING))
        if marker:
            ops.append(("upsert", {**keys, "RowKey": marker_rk(commit.claim_id), "claim": commit.claim_id}))
        return ops, outcome

    def _open_window(
        self, window: str, counter: Mapping[str, Any] | None, ops: list[tuple[Any, ...]], outcome: Outcome
    ) -> int:
        """A new alert window takes what its group grouped since the last alert, and the count starts afresh."""
        hits = self._take_hits(window)
        outcome.hits[window] += hits
        counted = int(counter["pending"]) if counter is not None else 0
        if counter is not None and counted:
            reset = {"PartitionKey": counter["PartitionKey"], "RowKey": COUNTER, "pending": 0}
            ops.append(("update", reset, replace_mode(**if_match(str(counter["etag"])))))
        return counted + hits


def _checked(commit: Commit, pk: str) -> dict[str, int]:
    """RowKeys the transaction holds to the revision the decision read (0: absent; others need the ETag)."""
    checked = {record_rk(r.version): r.revision for r in commit.records if model_pk(r.model) == pk}
    if commit.records or commit.jobs:
        for subject, revision in commit.subjects.items():
            if model_pk(subject) == pk:
                checked[SUBJECT] = revision
    return checked


def _revisions(commit: Commit, pk: str, known: Known) -> list[tuple[Any, ...]]:
    """The subject's bump and the records, each holding only if unchanged since the decision read it."""
    ops: list[tuple[Any, ...]] = []
    if commit.records or commit.jobs:
        for subject, revision in commit.subjects.items():
            if model_pk(subject) == pk:
                what = f"{subject} changed since it was read (revision {revision}): deciding again"
                ops.append(_guarded_write(pk, SUBJECT, {"revision": revision + 1}, revision, known, what))
    for record in commit.records:
        if model_pk(record.model) == pk:
            saved = replace(record, revision=record.revision + 1)
            what = f"{record.key} changed since it was read (revision {record.revision})"
            ops.append(_guarded_write(pk, record_rk(record.version), record_props(saved), record.revision, known, what))
    return ops


def _guarded_write(
    pk: str, rk: str, props: Mapping[str, Any], revision: int, known: Known, what: str
) -> tuple[Any, ...]:
    row = known.get(rk)
    entity = {"PartitionKey": pk, "RowKey": rk, **props}
    if revision == 0:
        if row is not None:
            raise Conflict(what)
        return ("create", entity)
    if row is None or int(row["revision"]) != revision:
        raise Conflict(what)
    return ("update", entity, replace_mode(**if_match(str(row["etag"]))))
