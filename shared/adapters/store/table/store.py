"""The Store port on Azure Table Storage (azure-data-tables, imported on first use); Azurite locally."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.adapters.store.table.codec import guarded, pack, safe_key, status
from shared.adapters.store.table.journal import TableJournal
from shared.adapters.store.table.records import TableRecords
from shared.app.settings import (
    AZURE_CLIENT_ID,
    STORAGE_CONNECTION,
    STORAGE_TABLE_URL,
    TABLE_PREFIX,
    WEBJOBS_STORAGE,
    Settings,
)
from shared.core.errors import TransientError

if TYPE_CHECKING:
    pass

TABLES = ("Claims", "Occurrences", "Effects", "Windows", "Records", "Jobs", "Events", "Ledger", "DeadLetters")
WINDOW_RETRIES = 10
RETRY: dict[str, Any] = {"retry_total": 2, "retry_backoff_max": 4}  # short: Event Grid redelivers anyway
# The well-known Azurite development account (public, not a secret), for AzureWebJobsStorage=UseDevelopmentStorage=true.
AZURITE = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzF"
           "T50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;")


class TableStore(TableRecords, TableJournal):
    """Claims, records, jobs, ledger and dead letters in Table Storage; ETags make every check-and-write atomic."""

    @classmethod
    def from_connection_string(cls, connection: str, prefix: str = "reactor") -> TableStore:
        """From a storage connection string (Azurite: the well-known development account)."""
        from azure.data.tables import TableServiceClient

        return cls(TableServiceClient.from_connection_string(connection, **RETRY), prefix)

    @classmethod
    def from_settings(cls, settings: Settings) -> TableStore:
        """REACTOR_STORAGE_CONNECTION, else REACTOR_STORAGE_TABLE_URL + managed identity, else AzureWebJobsStorage."""
        env, prefix = settings.env, settings.env.get(TABLE_PREFIX) or "reactor"
        if env.get(STORAGE_CONNECTION):
            return cls.from_connection_string(env[STORAGE_CONNECTION], prefix)
        if env.get(STORAGE_TABLE_URL):
            from azure.data.tables import TableServiceClient
            from azure.identity import DefaultAzureCredential

            client_id = env.get(AZURE_CLIENT_ID)
            credential = DefaultAzureCredential(**({"managed_identity_client_id": client_id} if client_id else {}))
            return cls(TableServiceClient(endpoint=env[STORAGE_TABLE_URL], credential=credential, **RETRY), prefix)
        if env.get(WEBJOBS_STORAGE) and "=" in env[WEBJOBS_STORAGE]:
            value = env[WEBJOBS_STORAGE]
            return cls.from_connection_string(AZURITE if value == "UseDevelopmentStorage=true" else value, prefix)
        raise ValueError(f"the Table store needs {STORAGE_CONNECTION}, {STORAGE_TABLE_URL} or {WEBJOBS_STORAGE}")

    # Claims

    @guarded("claiming an event")
    def claim(self, event_id: str, occurrence: str | None, now: datetime, lease_seconds: int) -> bool:
        row = self._get("Claims", event_id)
        if row is not None and row["done"]:
            return False
        if row is not None and _live(row, now):
            raise TransientError(f"event {event_id} is being handled elsewhere (lease until {row['lease_until']})")
        until = (now + timedelta(seconds=lease_seconds)).isoformat()
        if occurrence and not self._take_occurrence(occurrence, event_id, now, until):
            return False
        entity = {"PartitionKey": safe_key(event_id), "RowKey": "", "event_id": event_id, "done": False,
                  "lease_until": until, "outcome": ""}
        won = self._insert("Claims", entity) if row is None else self._replace("Claims", entity, row.metadata["etag"])
        if not won:
            if occurrence:
                self._drop_occurrence(occurrence, event_id)
            raise TransientError(f"event {event_id} was claimed elsewhere just now")
        return True

    def _take_occurrence(self, occurrence: str, event_id: str, now: datetime, until: str) -> bool:
        """Lease the logical occurrence: False if it completed; TransientError if another event holds it."""
        entity = {"PartitionKey": safe_key(occurrence), "RowKey": "", "event_id": event_id, "done": False,
                  "lease_until": until}
        if self._insert("Occurrences", entity):
            return True
        row = self._get("Occurrences", occurrence)
        if row is not None and row["done"]:
            return False
        if row is not None and row["event_id"] != event_id and _live(row, now):
            raise TransientError(f"{occurrence} is being handled by another event (lease until {row['lease_until']})")
        if row is None or not self._replace("Occurrences", entity, row.metadata["etag"]):
            raise TransientError(f"{occurrence} was claimed elsewhere just now")
        return True

    def _drop_occurrence(self, occurrence: str, event_id: str) -> None:
        row = self._get("Occurrences", occurrence)
        if row is not None and not row["done"] and row["event_id"] == event_id:
            self._delete("Occurrences", occurrence, row.metadata["etag"])

    @guarded("completing an event")
    def complete(self, event_id: str, occurrence: str | None, outcome: str) -> None:
        self._upsert("Claims", {"PartitionKey": safe_key(event_id), "RowKey": "", "event_id": event_id,
                                "done": True, "lease_until": "", "outcome": outcome})
        if occurrence:
            self._upsert("Occurrences", {"PartitionKey": safe_key(occurrence), "RowKey": "", "event_id": event_id,
                                         "done": True, "lease_until": ""})

    @guarded("releasing a claim")
    def release(self, event_id: str, occurrence: str | None = None) -> None:
        row = self._get("Claims", event_id)
        if row is not None and not row["done"]:
            self._delete("Claims", event_id, row.metadata["etag"])
        if occurrence:
            self._drop_occurrence(occurrence, event_id)

    @guarded("reading a claim")
    def is_completed(self, event_id: str) -> bool:
        row = self._get("Claims", event_id)
        return bool(row is not None and row["done"])

    @guarded("reading an effect")
    def effect_done(self, key: str) -> bool:
        return self._get("Effects", key) is not None

    @guarded("recording an effect")
    def record_effect(self, key: str, result: Mapping[str, Any]) -> None:
        self._upsert("Effects", {"PartitionKey": safe_key(key), "RowKey": "", "effect": key, **pack("result", result)})

    @guarded("opening an alert window")
    def open_window(self, group: str, window_start: str, owner: str) -> int | None:
        for _ in range(WINDOW_RETRIES):
            row = self._get("Windows", group, window_start)
            if row is not None:
                if row.get("owner") == owner:
                    return int(row.get("earlier") or 0)  # the owner again (its first send failed)
                self._bump(group, window_start)
                return None
            earlier = self._try_open(group, window_start, owner)
            if earlier is not None:
                return earlier
        raise TransientError(f"alert windows of {group} are too busy to open; will retry")

    def _try_open(self, group: str, window_start: str, owner: str) -> int | None:
        """Create the window with its count of what earlier windows grouped, and mark those reported: one
        partition transaction, so no count is lost or told twice. None: someone else got there first."""
        query = "PartitionKey eq @pk and reported eq false"
        rows = list(self.table("Windows").query_entities(query, parameters={"pk": safe_key(group)}))
        earlier = sum(int(r["count"]) - 1 for r in rows)
        fresh = {"PartitionKey": safe_key(group), "RowKey": safe_key(window_start), "count": 1, "reported": False,
                 "owner": owner, "earlier": earlier}
        actions: list[Any] = [("create", fresh)]
        actions += [("update", {**r, "reported": True}, {"mode": "replace", "etag": r.metadata["etag"],
                                                         "match_condition": _if_not_modified()}) for r in rows]
        try:
            self.table("Windows").submit_transaction(actions)
        except Exception as exc:
            if status(exc) in (409, 412) or type(exc).__name__ == "TableTransactionError":
                return None
            raise
        return earlier

    def _bump(self, group: str, window_start: str) -> None:
        for _ in range(WINDOW_RETRIES):
            row = self._get("Windows", group, window_start)
            if row is None:
                raise TransientError(f"alert window {group} {window_start} vanished while counting; will retry")
            if self._replace("Windows", {**row, "count": int(row["count"]) + 1}, row.metadata["etag"]):
                return
        raise TransientError(f"alert window {group} {window_start} is too busy to count; will retry")


def _live(row: Mapping[str, Any], now: datetime) -> bool:
    """Whether a claim's lease is still running."""
    return bool(row.get("lease_until")) and datetime.fromisoformat(row["lease_until"]) > now


def _if_not_modified() -> Any:
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified



if TYPE_CHECKING:
    from shared.core.ports import Store

    def _is_a_store(store: TableStore) -> Store:
        return store
