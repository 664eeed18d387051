"""Retention for TableStore (an offline tool): completed claims and dead letters older than a date, page by page.

With a completed claim whose `at` is before the date go: its intents that are not pending (found through the claim's
`parts`, and only while the claim still owns them), its ledger-by-model row, its commit marker, its occurrence
(beside its job, or in its own partition; if it still names the claim), the event's dead-letter copy once no claim
of the event is left, and the claim itself, last: a run cut short leaves claims the next run finds again (a row
already gone is skipped). Dead letters go by their own `at`. Kept: subjects, lifecycle records, jobs and their index
rows (in-flight rows are cleared as they are read), alert group counters, claims not completed and pending intents.
Memory holds one page (100 claims) and its secondary rows; deletes are transactions of at most 100 per partition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from shared.adapters.store.table.base import Entity, etag_of, if_match
from shared.adapters.store.table.codec import guarded, lost_race, unpack
from shared.adapters.store.table.keys import (
    LETTERS,
    OCCURRENCE,
    SHARDS,
    claim_rk,
    dead_rk,
    job_occurrence_rk,
    ledger_rk,
    letter_bound,
    log_rk,
    marker_rk,
    model_pk,
    occurrence_pk,
    part,
)
from shared.adapters.store.table.reads import CLAIMS, DEAD, JOBS, SUBJECTS
from shared.adapters.store.table.recover import TableRecover
from shared.adapters.store.table.rows import ledger_of
from shared.core.state import IntentStatus

Op = tuple[Any, ...]
Deletes = defaultdict[tuple[str, str], dict[str, Op]]  # (table, PartitionKey) -> RowKey -> delete
_PAGE = 100  # claims per page, and operations per transaction at most
_OLD_CLAIMS = "PartitionKey eq @pk and RowKey ge 'claim:' and RowKey lt 'claim;' and done eq true and at lt @before"


class TablePrune(TableRecover):
    """`prune`: counted always, deleted only with `apply`."""

    @guarded("pruning old history")
    def prune(self, before: str, *, apply: bool) -> dict[str, int]:
        counts = {"events": 0, "intents": 0, "dead letters": 0}
        for n in range(SHARDS):
            for page in self._pages(CLAIMS, _OLD_CLAIMS, {"pk": f"claims:{n:02d}", "before": before}):
                counts["events"] += len(page)
                counts["intents"] += self._prune_claims(page, apply)
        for page in self._pages(
            DEAD, "PartitionKey eq 'dead' and at lt @before", {"before": before}, ["PartitionKey", "RowKey"]
        ):  # letters written before the `letters` partitions
            counts["dead letters"] += len(page)
            if apply:
                self._delete({(DEAD, "dead"): {str(r["RowKey"]): ("delete", _keys(r)) for r in page}})
        old = "PartitionKey eq @pk and RowKey ge @lo"
        for page in self._pages(DEAD, old, {"pk": LETTERS, "lo": letter_bound(before)}, ["RowKey", "tpk"]):
            counts["dead letters"] += len(page)
            if apply:
                ops: Deletes = defaultdict(dict)
                for r in page:
                    rk = str(r["RowKey"])
                    ops[(DEAD, str(r["tpk"]))][rk] = ("delete", {"PartitionKey": str(r["tpk"]), "RowKey": rk})
                    ops[(DEAD, LETTERS)][rk] = ("delete", {"PartitionKey": LETTERS, "RowKey": rk})
                self._delete(ops)
        return counts

    def _pages(
        self, table: str, query: str, params: dict[str, Any], select: list[str] | None = None
    ) -> Iterator[list[Entity]]:
        found = self.table(table).query_entities(query, parameters=params, results_per_page=_PAGE, select=select)
        for page in found.by_page():
            yield list(page)

    def _prune_claims(self, claims: list[Entity], apply: bool) -> int:
        """One page of old completed claims: their secondary rows, then the claims; the intents that went."""
        ops: Deletes = defaultdict(dict)
        owned = self._owned_intents(claims)
        for pk, row in owned:
            ops[(SUBJECTS, pk)][str(row["RowKey"])] = ("delete", _keys(row), if_match(etag_of(row)))
        for claim in claims:
            claim_id, entry = str(claim["claim"]), ledger_of(claim)
            if entry.model:
                pk = model_pk(entry.model)
                for rk in (ledger_rk(entry, claim_id), log_rk(entry, claim_id)):  # a row of the old layout: no log
                    ops[(SUBJECTS, pk)][rk] = ("delete", _at(pk, rk))
            if claim.get("marker"):
                pk = str(claim["marker"])
                ops[(SUBJECTS, pk)][marker_rk(claim_id)] = ("delete", _at(pk, marker_rk(claim_id)))
        if apply:
            self._delete(ops)
            self._drop_occurrences(claims)
            gone: Deletes = defaultdict(dict)
            for claim in claims:
                gone[(CLAIMS, str(claim["PartitionKey"]))][str(claim["RowKey"])] = ("delete", _keys(claim))
            self._delete(gone)
            self._drop_dead_copies(claims)
        return len(owned)

    def _owned_intents(self, claims: list[Entity]) -> list[tuple[str, Entity]]:
        """The intents each claim still owns that are not pending (point reads)."""
        owner: dict[tuple[str, str], str] = {}
        for claim in claims:
            for pk, rk in unpack(claim, "parts") or []:
                owner[(pk, rk)] = str(claim["claim"])
        by_pk: defaultdict[str, list[str]] = defaultdict(list)
        for pk, rk in owner:
            by_pk[pk].append(rk)
        owned = []
        for pk, rks in by_pk.items():
            for rk, row in self._rows(SUBJECTS, pk, rks).items():
                if row.get("claim") == owner[(pk, rk)] and row.get("status") != IntentStatus.PENDING:
                    owned.append((pk, row))
        return owned

    def _drop_occurrences(self, claims: list[Entity]) -> None:
        for claim in claims:
            if not claim.get("occurrence"):
                continue
            occurrence, job = str(claim["occurrence"]), claim.get("occurrence_job")
            table, pk, rk = (
                (JOBS, part(job), job_occurrence_rk(occurrence))
                if job
                else (CLAIMS, occurrence_pk(occurrence), OCCURRENCE)
            )
            row = self._get(table, pk, rk)
            if row is not None and row.get("claim") == claim["claim"]:
                self._delete({(table, pk): {rk: ("delete", _keys(row), if_match(etag_of(row)))}})

    def _drop_dead_copies(self, claims: list[Entity]) -> None:
        """An event's dead-letter copy goes with the last claim of the event."""
        events: defaultdict[str, set[str]] = defaultdict(set)
        for claim in claims:
            events[str(claim["PartitionKey"])].add(str(claim["event_id"]))
        for pk, ids in events.items():
            copies = self._rows(CLAIMS, pk, [dead_rk(e) for e in ids])
            for event_id in ids:
                rk = dead_rk(event_id)
                if rk in copies and not self._range(
                    CLAIMS, pk, claim_rk(event_id), eq={"event_id": event_id}, top=1, select=["RowKey"]
                ):
                    self._delete({(CLAIMS, pk): {rk: ("delete", _at(pk, rk))}})

    def _delete(self, ops: Mapping[tuple[str, str], Mapping[str, Op]]) -> None:
        """Deletes, each partition's in transactions of at most 100; a batch that meets a row already gone (or
        changed) is done one by one, skipping that row."""
        for (table, _), by_rk in ops.items():
            batch = list(by_rk.values())
            for i in range(0, len(batch), _PAGE):
                try:
                    self._submit(table, batch[i : i + _PAGE])
                except Exception as exc:
                    if not lost_race(exc):
                        raise
                    for op in batch[i : i + _PAGE]:
                        try:
                            self._submit(table, [op])
                        except Exception as one:
                            if not lost_race(one):
                                raise


def _keys(row: Entity) -> dict[str, str]:
    return {"PartitionKey": str(row["PartitionKey"]), "RowKey": str(row["RowKey"])}


def _at(pk: str, rk: str) -> dict[str, str]:
    return {"PartitionKey": pk, "RowKey": rk}
