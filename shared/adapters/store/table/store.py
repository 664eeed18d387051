"""The Store port on Azure Table Storage (azure-data-tables, imported on first use); Azurite locally.

Layout and partitions: `shared.adapters.store.table.keys`. A commit takes the claim (with a lease, its open entry for
the sweep and the in-flight rows of the jobs it submits) in one request; the occurrence with the new status of the
job the event reports on in another (`occurrences`); then the decision in one transaction per partition (one for a
decision on one model, its notices included). A conflict there rolls the claim, the occurrence and the job's status
back and raises Conflict, so nothing of the commit stays. A process that dies between the job's write and the
decision's leaves a claim that says which job it closed (`closes`) and a job that says who closed it: whoever drops
that claim (the redelivery, the twin, the sweep) gives the job back first, and the event is decided anew.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.adapters.store.table.claims import claim_entity
from shared.adapters.store.table.codec import guarded
from shared.adapters.store.table.decision import Outcome, partitions
from shared.adapters.store.table.due import TableDue
from shared.adapters.store.table.guards import TableGuards
from shared.adapters.store.table.inflight import inflight_ops
from shared.adapters.store.table.keys import intent_pk, intent_rk, model_pk, seq
from shared.adapters.store.table.occurrences import beside, closes, other_jobs
from shared.adapters.store.table.prune import TablePrune
from shared.core.state import Claimed, Commit, Committed, IntentStatus

HITS_BATCH = 64  # grouped-alert counts are added in batches: a count may lag by this much per process
RETRY: dict[str, Any] = {"retry_total": 2, "retry_backoff_max": 4}  # short: Event Grid redelivers anyway
# The well-known Azurite development account (public, not a secret), for AzureWebJobsStorage=UseDevelopmentStorage=true.
AZURITE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzF"
    "T50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)


class TableStore(TablePrune, TableDue, TableGuards):
    """Claims, decisions, intents, records, jobs, ledger and dead letters in Table Storage."""

    @classmethod
    def from_connection_string(
        cls, connection: str, prefix: str = "reactor", *, cache_entries: int = 4096, **client: Any
    ) -> TableStore:
        """From a storage connection string (Azurite: the well-known development account); `client`: SDK options."""
        from azure.data.tables import TableServiceClient

        service = TableServiceClient.from_connection_string(connection, **{**RETRY, **client})
        return cls(service, prefix, cache_entries=cache_entries)

    @classmethod
    def from_endpoint(
        cls, url: str, credential: Any, prefix: str = "reactor", *, cache_entries: int = 4096
    ) -> TableStore:
        """From the account's table endpoint and a token credential (the app's managed identity)."""
        from azure.data.tables import TableServiceClient

        service = TableServiceClient(endpoint=url, credential=credential, **RETRY)
        return cls(service, prefix, cache_entries=cache_entries)

    @guarded("committing a decision")
    def commit(self, commit: Commit, now: datetime, lease_seconds: int) -> Committed:
        self._drop_snapshots()  # what the decision read is guarded by now; later reads read anew
        seen = self._seen_job()  # the job the load read, if any: its occurrences, and where this one goes
        self._note_received(commit.ledger)  # for the heartbeat (throttled)
        if commit.grouped and commit.intents and not (commit.records or commit.jobs or commit.occurrence):
            return self._commit_grouped(commit, now)
        parts, order = partitions(commit), seq()
        until = now.timestamp() + lease_seconds if parts else 0.0
        marker = list(parts)[-1] if parts else ""
        where = [[intent_pk(i), intent_rk(i.key)] for i in commit.intents]
        found, taking = self._look(commit, seen, now, until or now.timestamp() + lease_seconds)
        if found is not None:
            return found
        if not parts and not self._take(commit, taking, now.timestamp() + lease_seconds):
            return self._taken(commit, taking, now)  # done at once: the claim could not be rolled back
        claim = claim_entity(
            commit, done=not parts, lease=until, marker=marker, parts=where, seq=order, closes=closes(commit, taking)
        )
        claim |= {"occurrence_job": beside(taking)} if commit.occurrence and beside(taking) else {}
        rows = inflight_ops(commit.claim_id, commit.jobs)
        found, claim_etag = self._insert(claim, bool(parts), now, rows)
        if found is not None:
            return found
        created: list[str] = []
        self._index_due(commit)  # ahead of the decision: checked against the record when read
        try:
            if parts and not self._take(commit, taking, until):
                self._rollback(commit, claim_etag, rows, taking, created)
                return self._taken(commit, taking, now)
            self._save_jobs(other_jobs(commit, taking), created)
            outcome = self._write_parts(commit, parts, order)
        except BaseException:
            self._rollback(commit, claim_etag if parts else "", rows, taking, created)
            raise
        done = not commit.intents
        if parts and done:
            self._complete(commit.claim_id)
        self._after_commit(commit, outcome.taken, written=set(parts), order=order)
        rank = {i.key: n for n, i in enumerate(commit.intents)}
        pending = tuple(sorted(outcome.pending, key=lambda i: rank[i.key]))
        return Committed(
            claimed=Claimed.COMMITTED, claim_id=commit.claim_id, pending=pending, taken=outcome.taken, done=done
        )

    def _write_parts(self, commit: Commit, parts: dict[str, list[Any]], order: str) -> Outcome:
        total, last = Outcome(), list(parts)[-1] if parts else ""
        for pk, intents in parts.items():
            outcome = self._write_part(commit, pk, intents, pk == last, order)
            total.pending += outcome.pending
            total.taken.update(outcome.taken)
        return total

    def _commit_grouped(self, commit: Commit, now: datetime) -> Committed:
        """A storm's fast path: every intent is an alert window owned elsewhere; one request records the event."""
        order = seq()
        found, _ = self._insert(claim_entity(commit, done=True, lease=0, marker="", parts=[], seq=order), False, now)
        if found is not None:
            return found
        taken = {i.key: IntentStatus.DONE for i in commit.intents}
        self._after_commit(commit, taken, written=set(), order=order)
        return Committed(claimed=Claimed.COMMITTED, claim_id=commit.claim_id, taken=taken, done=True)

    def _after_commit(self, commit: Commit, taken: dict[str, IntentStatus], written: set[str], order: str) -> None:
        """Count grouped hits (added in batches), and index the ledger entry by model if no transaction did."""
        self._count_hits(commit, taken)
        if self._pending_hits() >= HITS_BATCH:
            self._flush_hits()
        if commit.ledger.model and model_pk(commit.ledger.model) not in written:
            self._index_ledger(commit.ledger, commit.claim_id, order)


if TYPE_CHECKING:
    from shared.core.ports import Store

    def _is_a_store(store: TableStore) -> Store:
        return store
