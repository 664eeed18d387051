"""A lone create / update / upsert goes to Table Storage as a plain request, with the transaction's outcomes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.adapters.store.table.base import if_match, merge_mode
from shared.adapters.store.table.codec import lost_race
from shared.adapters.store.table.store import TableStore
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)


class Urls:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, request: Any) -> None:
        self.seen.append(request.http_request.url)


@pytest.fixture
def store(azurite: str) -> tuple[TableStore, Urls]:  # noqa: F811
    urls = Urls()
    return TableStore.from_connection_string(azurite, f"p{uuid.uuid4().hex[:12]}", raw_request_hook=urls), urls


def test_a_lone_write_is_a_plain_request_and_a_lost_race_reads_as_in_a_transaction(
    store: tuple[TableStore, Urls],
) -> None:
    tables, urls = store
    tables.table("Guards")
    urls.seen.clear()
    entity = {"PartitionKey": "p", "RowKey": "r", "n": 1}

    [created] = tables._submit("Guards", [("create", entity)])
    with pytest.raises(Exception) as exists:
        tables._submit("Guards", [("create", entity)])
    tables._submit("Guards", [("update", {**entity, "n": 2}, merge_mode(**if_match(str(created["etag"]))))])
    with pytest.raises(Exception) as changed:  # the ETag read before the update: a lost race (412)
        tables._submit("Guards", [("update", {**entity, "n": 3}, merge_mode(**if_match(str(created["etag"]))))])
    with pytest.raises(Exception) as gone:
        tables._submit("Guards", [("update", {**entity, "RowKey": "nobody"}, merge_mode())])
    tables._submit("Guards", [("upsert", {**entity, "n": 4})])

    assert [lost_race(e.value) for e in (exists, changed, gone)] == [True, True, True]
    assert not any("$batch" in url for url in urls.seen) and len(urls.seen) == 6
    assert tables.table("Guards").get_entity("p", "r")["n"] == 4


def test_a_lone_delete_and_several_writes_stay_transactions(store: tuple[TableStore, Urls]) -> None:
    tables, urls = store
    tables.table("Guards")
    urls.seen.clear()
    one, two = {"PartitionKey": "p", "RowKey": "1"}, {"PartitionKey": "p", "RowKey": "2"}

    tables._submit("Guards", [("create", one), ("create", two)])
    tables._submit("Guards", [("delete", one)])
    with pytest.raises(Exception) as missing:  # a transaction reports what the SDK's delete_entity would hide
        tables._submit("Guards", [("delete", one)])

    assert lost_race(missing.value)
    assert len(urls.seen) == 3 and all("$batch" in url for url in urls.seen)
