"""Functional fixtures: the state behind two or more hosts, on each Store (SQLite, and Table Storage on Azurite)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.store.sqlite import SqliteStore
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)

StoreFactory = Callable[[Path], Any]


@pytest.fixture(params=["sqlite", "table"])
def shared_state(request: pytest.FixtureRequest) -> StoreFactory:
    """Builds a store on one shared state per folder: each call is another host's connection to it."""
    if request.param == "sqlite":
        return lambda folder: SqliteStore(folder / "state" / "reactor.db")
    from shared.adapters.store.table.store import TableStore

    connection = request.getfixturevalue("azurite")
    prefixes: dict[Path, str] = {}

    def table(folder: Path) -> TableStore:
        prefix = prefixes.setdefault(folder, f"t{uuid.uuid4().hex[:12]}")
        return TableStore.from_connection_string(connection, prefix=prefix)

    return table
