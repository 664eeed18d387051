"""Flat cost on Table Storage: every query the store sends is a point read or a range of one partition's keys.

Table Storage has one index, PartitionKey then RowKey. Its guidance ("Design for querying"): a point query names
both keys; a range query names the partition and bounds the RowKey; a filter without the partition scans the table,
and one that names the partition but neither a RowKey nor a RowKey range (an `or` of RowKeys included) scans the
partition. The whole loop goes round once on Azurite (the scenario the SQLite query-plan test watches) and each
filter sent is sorted into those kinds."""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bench.memtable import conjuncts, parse_filter
from shared.adapters.store.table.store import TableStore
from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.functional.driver import Driver
from tests.functional.every_query import go_round


class Filters:
    """A raw_request_hook keeping every query the SDK sends: its table, its filter (parameters filled in) and
    whether it asks for the first rows only ($top)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.seen: set[tuple[str, str, bool]] = set()
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> None:
        url = urlsplit(request.http_request.url)
        query = parse_qs(url.query)
        if "$filter" in query:
            table = url.path.rsplit("/", 1)[-1].removeprefix(self.prefix).removesuffix("()")
            with self._lock:
                self.seen.add((table, query["$filter"][0], "$top" in query))


def kind(text: str, top: bool = False) -> str:
    """What Table Storage does with a filter: "point", "range", "head" (a partition's first rows in key order,
    `top`: nothing but keys filtered), "partition scan" or "table scan"."""
    terms = conjuncts(parse_filter(text))

    def bounds(prop: str, *ops: str) -> bool:
        return any(t[0] == "cmp" and t[2] == ("prop", prop) and t[1] in ops for t in terms)

    if not bounds("PartitionKey", "eq"):
        return "table scan"
    if bounds("RowKey", "eq"):
        return "point"
    if bounds("RowKey", "ge", "gt", "le", "lt"):  # the partition's own edge closes a one-sided range
        return "range"
    keys_only = all(t[0] == "cmp" and t[2] in (("prop", "PartitionKey"), ("prop", "RowKey")) for t in terms)
    return "head" if top and keys_only else "partition scan"


# Partitions read whole that stay small by construction: table -> the filters that read them.
BOUNDED = {
    "Jobs": re.compile(r"PartitionKey eq '[^']*'"),  # a job's partition: the job and its few status changes
    # the dead letters' partition of the layout before, which prune drains: nothing is added to it any more
    "DeadLetters": re.compile(r"PartitionKey eq 'dead' and at lt '[^']*'"),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PartitionKey eq 'm' and RowKey eq 'subject'", "point"),
        ("PartitionKey eq 'm' and RowKey ge 'record:' and RowKey lt 'record;' and stage eq 'staging'", "range"),
        ("PartitionKey eq 'm' and ( RowKey eq 'a' or RowKey eq 'b' )", "partition scan"),
        ("PartitionKey eq 'm' and RowKey ge 'log:'", "range"),
        ("PartitionKey eq 'm' and stage eq 'staging'", "partition scan"),
        ("PartitionKey eq 'm' or PartitionKey eq 'n'", "table scan"),
        ("event_id eq 'e1'", "table scan"),
    ],
)
def test_kinds_follow_the_services_guidance(text: str, expected: str) -> None:
    assert kind(text) == expected


def test_the_first_rows_of_a_partition_are_a_head_only_when_nothing_but_keys_is_filtered() -> None:
    assert kind("PartitionKey eq 'letters'", top=True) == "head"
    assert kind("PartitionKey eq 'letters'") == "partition scan"
    assert kind("PartitionKey eq 'letters' and reason eq 'x'", top=True) == "partition scan"


def test_every_query_is_a_point_read_or_a_key_range(
    azurite: str,  # noqa: F811
    settings: Settings,
    clock: FixedClock,
) -> None:
    prefix = f"q{uuid.uuid4().hex[:12]}"
    filters = Filters(prefix)
    store = TableStore.from_connection_string(azurite, prefix, raw_request_hook=filters)
    drive = Driver(replace(bootstrap.build(settings, clock=clock), store=store))
    drive.reactor.notifier.console = None  # type: ignore[attr-defined]
    go_round(drive, clock)
    kinds = {(table, text): kind(text, top) for table, text, top in filters.seen}
    assert len(kinds) > 20  # the scenario reaches every kind of query
    scans = sorted(
        f"{k} of {table}: {text}"
        for (table, text), k in kinds.items()
        if k not in ("point", "range", "head") and not (table in BOUNDED and BOUNDED[table].fullmatch(text))
    )
    assert not scans, "queries that scan:\n" + "\n".join(scans)
