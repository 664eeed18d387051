"""Table Storage primitives for TableStore: our tables, point reads, key-range queries, transactions, an ETag cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from shared.adapters.store.table.codec import status

if TYPE_CHECKING:
    from azure.data.tables import TableClient, TableServiceClient

Entity = Mapping[str, Any]
Op = tuple[Any, ...]
_PLAIN = {"create": "create_entity", "update": "update_entity", "upsert": "upsert_entity"}
_READERS = 8  # point reads in flight at once, per store


class TableBase:
    """The service client, the tables (created on first use) and the primitives the store builds on."""

    def __init__(self, service: TableServiceClient, prefix: str = "reactor", *, cache_entries: int = 4096) -> None:
        self.service = service
        self.cache_entries = cache_entries  # ETags kept (REACTOR_CACHE_ENTRIES): bounded memory in a long-lived worker
        self.prefix = prefix
        self.account = str(getattr(service, "account_name", None) or "table-service")
        self._tables: dict[str, TableClient] = {}
        self._lock = threading.Lock()
        self._etags: OrderedDict[tuple[str, str], tuple[int, str]] = OrderedDict()
        self._pool: ThreadPoolExecutor | None = None

    def table(self, name: str) -> TableClient:
        """One of our tables, created on first use."""
        if name not in self._tables:
            with self._lock:
                if name not in self._tables:
                    self._tables[name] = self.service.create_table_if_not_exists(f"{self.prefix}{name}")
        return self._tables[name]

    def _get(self, table: str, pk: str, rk: str) -> Entity | None:
        try:
            row: Entity = self.table(table).get_entity(pk, rk)
        except Exception as exc:
            if status(exc) == 404:
                return None
            raise
        return row

    def _query(
        self, table: str, query: str, params: Mapping[str, Any], top: int | None = None, select: list[str] | None = None
    ) -> list[Entity]:
        """Entities matching an OData filter; with `top`, only the first page of that size (in key order)."""
        found = self.table(table).query_entities(query, parameters=dict(params), results_per_page=top, select=select)
        pages: Any = found if top is None else next(iter(found.by_page()), [])
        rows: list[Entity] = list(pages)
        return rows if top is None else rows[:top]

    def _range(
        self,
        table: str,
        pk: str,
        prefix: str,
        *,
        top: int | None = None,
        eq: Mapping[str, Any] | None = None,
        extra: str = "",
        params: Mapping[str, Any] | None = None,
        select: list[str] | None = None,
        after: str | None = None,
    ) -> list[Entity]:
        """Entities of one partition whose RowKey starts with `prefix` (a bounded key range), `eq` properties equal;
        `after`: only RowKeys past it (where a page left off)."""
        from shared.adapters.store.table.keys import below

        eq = {k: v for k, v in (eq or {}).items() if v is not None}
        low = "RowKey ge @lo" if after is None else "RowKey gt @lo"
        terms = ["PartitionKey eq @pk", low, "RowKey lt @hi", *(f"{k} eq @{k}" for k in eq)]
        query = " and ".join(terms + ([extra] if extra else []))
        lo = prefix if after is None else max(after, prefix)
        values = {"pk": pk, "lo": lo, "hi": below(prefix), **eq, **(params or {})}
        return self._query(table, query, values, top, select)

    def _rows(self, table: str, pk: str, rks: Iterable[str]) -> dict[str, Entity]:
        """Several entities of one partition by RowKey: point reads, side by side. (A filter with an `or` of RowKeys
        would be one request, but the service answers it by scanning the whole partition.)"""
        keys = sorted(set(rks))
        if len(keys) == 1:
            rows = [self._get(table, pk, keys[0])]
        else:
            rows = list(self._readers().map(lambda rk: self._get(table, pk, rk), keys))
        return {rk: row for rk, row in zip(keys, rows, strict=True) if row is not None}

    def _readers(self) -> ThreadPoolExecutor:
        """The threads point reads go side by side on (a few per store, started on first use)."""
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(_READERS, thread_name_prefix="table-read")
        return self._pool

    def _submit(self, table: str, ops: Sequence[Op]) -> list[Mapping[str, Any]]:
        """One entity-group transaction (all ops in one partition): all or nothing.

        A lone create, update or upsert goes as that plain request: the same outcome and status codes (409, 412,
        404) at a fraction of the client's CPU (the SDK builds and parses a multipart body for a batch). A lone
        delete stays a batch: the SDK's delete_entity hides a 404 that a transaction reports."""
        client = self.table(table)
        if len(ops) == 1 and ops[0][0] in _PLAIN:
            kind, entity, *options = ops[0]
            sent: Mapping[str, Any] = getattr(client, _PLAIN[kind])(entity, **(options[0] if options else {}))
            return [sent]
        result: list[Mapping[str, Any]] = client.submit_transaction(list(ops))
        return result

    # ETags of subjects and records as last read, so a commit right after a load need not read them again

    def _remember(self, pk: str, row: Entity) -> None:
        key = (pk, str(row["RowKey"]))
        with self._lock:
            self._etags[key] = (int(row.get("revision", 0)), etag_of(row))
            self._etags.move_to_end(key)
            while len(self._etags) > self.cache_entries:
                self._etags.popitem(last=False)

    def _recalled(self, pk: str, rk: str) -> tuple[int, str] | None:
        with self._lock:
            return self._etags.get((pk, rk))

    def _forget(self, pk: str, rks: Iterable[str]) -> None:
        with self._lock:
            for rk in rks:
                self._etags.pop((pk, rk), None)


def etag_of(row: Entity) -> str:
    """The ETag a read entity came with."""
    return str(getattr(row, "metadata", {}).get("etag", ""))


def if_match(etag: str) -> dict[str, Any]:
    """Keyword arguments of a write that holds only if the entity is unchanged since read."""
    from azure.core import MatchConditions

    return {"etag": etag, "match_condition": MatchConditions.IfNotModified}


def replace_mode(**extra: Any) -> dict[str, Any]:
    from azure.data.tables import UpdateMode

    return {"mode": UpdateMode.REPLACE, **extra}


def merge_mode(**extra: Any) -> dict[str, Any]:
    from azure.data.tables import UpdateMode

    return {"mode": UpdateMode.MERGE, **extra}
