"""The bench's in-memory table service answers as Table Storage does for what TableStore sends."""

from __future__ import annotations

import pytest

from bench.memtable import MemoryService, MemoryTable, Refused


def _table() -> MemoryTable:
    table = MemoryService().create_table_if_not_exists("t")
    for rk in ("a", "b:1", "b:2", "c"):
        table.create_entity({"PartitionKey": "p", "RowKey": rk, "stage": rk[0], "n": 1})
    return table


def test_conditional_writes_and_transactions_are_all_or_nothing() -> None:
    table = _table()
    with pytest.raises(Refused) as exists:
        table.create_entity({"PartitionKey": "p", "RowKey": "a"})
    row = table.get_entity("p", "a")
    table.update_entity({"PartitionKey": "p", "RowKey": "a", "n": 2}, etag=row.metadata["etag"], match_condition=1)
    with pytest.raises(Refused) as changed:
        table.update_entity({"PartitionKey": "p", "RowKey": "a"}, etag=row.metadata["etag"], match_condition=1)
    with pytest.raises(Refused) as missing:
        table.submit_transaction(
            [("upsert", {"PartitionKey": "p", "RowKey": "z"}), ("delete", {"PartitionKey": "p", "RowKey": "y"})]
        )

    assert (exists.value.status_code, changed.value.status_code, missing.value.status_code) == (409, 412, 404)
    assert table.get_entity("p", "a")["n"] == 2 and table.get_entity("p", "a")["stage"] == "a"  # merged
    assert "z" not in table.rows["p"]


def test_filters_select_by_key_range_and_properties() -> None:
    table = _table()
    ranged = table.query_entities(
        "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi", parameters={"pk": "p", "lo": "b:", "hi": "b;"}
    )
    either = table.query_entities(
        "PartitionKey eq @pk and ( RowKey eq 'a' or (stage ne 'b' and n eq 1) )", parameters={"pk": "p"}
    )

    assert [r["RowKey"] for r in ranged] == ["b:1", "b:2"]
    assert [r["RowKey"] for r in either] == ["a", "c"]
    assert [
        r["RowKey"] for r in next(iter(table.query_entities("PartitionKey eq 'p'", results_per_page=2).by_page()))
    ] == ["a", "b:1"]
