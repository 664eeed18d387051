"""Table Storage primitives for TableStore: our tables, point reads, insert-if-absent, ETag-conditional writes."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.adapters.store.table.codec import safe_key, status

if TYPE_CHECKING:
    from azure.data.tables import TableClient, TableServiceClient


class TableBase:
    """The service client, the tables (created on first use) and the atomic primitives the store builds on."""

    def __init__(self, service: TableServiceClient, prefix: str = "reactor") -> None:
        self.service = service
        self.prefix = prefix
        self.account = str(getattr(service, "account_name", None) or "table-service")
        self._tables: dict[str, TableClient] = {}
        self._lock = threading.Lock()

    def table(self, name: str) -> TableClient:
        """One of our tables, created on first use."""
        if name not in self._tables:
            with self._lock:
                if name not in self._tables:
                    self._tables[name] = self.service.create_table_if_not_exists(f"{self.prefix}{name}")
        return self._tables[name]

    def _get(self, table: str, pk: str, rk: str = "") -> Any:
        try:
            return self.table(table).get_entity(safe_key(pk), safe_key(rk))
        except Exception as exc:
            if status(exc) == 404:
                return None
            raise

    def _insert(self, table: str, entity: dict[str, Any]) -> bool:
        """Insert if absent: False when an entity with those keys exists (the atomic primitive)."""
        try:
            self.table(table).create_entity(entity)
        except Exception as exc:
            if status(exc) == 409:
                return False
            raise
        return True

    def _replace(self, table: str, entity: Mapping[str, Any], etag: str) -> bool:
        """Replace only if unchanged since read: False when someone else wrote it."""
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        try:
            self.table(table).update_entity(dict(entity), mode=UpdateMode.REPLACE, etag=etag,
                                            match_condition=MatchConditions.IfNotModified)
        except Exception as exc:
            if status(exc) in (409, 412):
                return False
            raise
        return True

    def _upsert(self, table: str, entity: dict[str, Any]) -> None:
        from azure.data.tables import UpdateMode

        self.table(table).upsert_entity(entity, mode=UpdateMode.REPLACE)

    def _delete(self, table: str, pk: str, etag: str) -> None:
        """Delete only if unchanged since read; someone else's newer write wins."""
        from azure.core import MatchConditions

        try:
            self.table(table).delete_entity(safe_key(pk), "", etag=etag, match_condition=MatchConditions.IfNotModified)
        except Exception as exc:
            if status(exc) != 412:
                raise
