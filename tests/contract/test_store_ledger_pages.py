"""The Store contract for a model's ledger in pages (newest first, a cursor to go on), on SqliteStore and TableStore
(Azurite): every entry once, in order; a page reads as much on a long history as on a short one."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.store.table.keys import ledger_rk, model_pk
from shared.adapters.store.table.rows import ledger_props
from shared.adapters.store.table.store import TableStore
from shared.core.dead_letters import BadQuery
from shared.core.ledger_pages import LedgerQuery, cursor_at
from shared.core.state import Commit
from shared.core.store import Store
from tests.contract import test_store_contract as contract
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import LEASE, NOW, commit, done, finish, intent
from tests.contract.test_store_requests import Requests, Rows
from tests.functional.test_query_plans import _steps

opener, store = contract.opener, contract.store  # the contract's fixtures: each Store on a fresh state


def _event(store: Store, n: int, version: str, minutes: int) -> None:
    """Event `e<n>` about m:<version>, handled `minutes` after NOW."""
    at = NOW + timedelta(minutes=minutes)
    first = commit(f"e{n}", intent(f"cd:m:{version}:staging:{n}"), version=version)
    decided: Commit = replace(first, ledger=replace(first.ledger, at=at.isoformat()))
    store.commit(decided, at, LEASE)
    store.finish(finish(decided, done(decided.intents[0])))


def _all_pages(store: Store, query: LedgerQuery) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = store.ledger_page(replace(query, cursor=cursor))
        pages.append([e.event_id for e in page.entries])
        if page.next is None:
            return pages
        cursor = page.next


def test_pages_hold_every_entry_once_newest_first(store: Store) -> None:
    for n in range(7):
        _event(store, n, "1" if n % 2 else "2", minutes=n)
    assert _all_pages(store, LedgerQuery("m", limit=3)) == [["e6", "e5", "e4"], ["e3", "e2", "e1"], ["e0"]]
    assert _all_pages(store, LedgerQuery("m", version="1", limit=2)) == [["e5", "e3"], ["e1"]]
    assert _all_pages(store, LedgerQuery("m", limit=7)) == [["e6", "e5", "e4", "e3", "e2", "e1", "e0"]]
    assert _all_pages(store, LedgerQuery("other")) == [[]]
    assert [e.event_id for e in store.ledger(model="m", limit=2)] == ["e5", "e6"]  # the newest, oldest first
    page = store.ledger_page(LedgerQuery("m", limit=1))
    assert page.entries[0].outcome == "handled" and page.entries[0].version == "2"


@pytest.mark.parametrize("cursor", ["bm90IGEgY3Vyc29y", cursor_at("elsewhere", "x"), cursor_at("seq", "x")])
def test_a_cursor_this_store_did_not_make_is_refused(store: Store, cursor: str) -> None:
    with pytest.raises(BadQuery, match="cursor"):
        store.ledger_page(LedgerQuery("m", cursor=cursor))


def test_entries_written_before_the_model_wide_log_come_after_it(azurite: str) -> None:  # noqa: F811
    """Table: a model's entries written by the layout before (by version only) still page, after the newer ones."""
    store = TableStore.from_connection_string(azurite, f"o{uuid.uuid4().hex[:12]}")
    for n, version in enumerate(("1", "2", "1")):  # as the layout before wrote them: no model-wide row
        entry = replace(commit(f"old{n}", version=version).ledger, at=(NOW - timedelta(days=1, minutes=-n)).isoformat())
        row = {"PartitionKey": model_pk("m"), "RowKey": ledger_rk(entry, f"old{n}"), "seq": f"{n:020d}"}
        store.table("Subjects").upsert_entity({**row, **ledger_props(entry)})
    for n in range(3):
        _event(store, n, "1", minutes=n)
    assert _all_pages(store, LedgerQuery("m", limit=2)) == [["e2", "e1"], ["e0", "old2"], ["old1", "old0"]]
    assert _all_pages(store, LedgerQuery("m", limit=4)) == [["e2", "e1", "e0", "old2"], ["old1", "old0"]]
    assert _all_pages(store, LedgerQuery("m", version="1")) == [["e2", "e1", "e0", "old2", "old0"]]


def test_a_page_reads_as_much_on_a_long_history_as_on_a_short_one(azurite: str, tmp_path: Path) -> None:  # noqa: F811
    rows = Rows()
    table = TableStore.from_connection_string(azurite, f"p{uuid.uuid4().hex[:12]}", raw_response_hook=rows)
    sqlite = SqliteStore(tmp_path / "reactor.db")
    db = sqlite._db()
    costs: dict[str, list[int]] = {"table entities": [], "sqlite steps": []}
    written = 0
    for history in (20, 120):  # both longer than a page of each query
        for n in range(written, history):
            for store in (table, sqlite):
                _event(store, n, str(n % 3), minutes=n)
        written = history
        rows.count = 0
        for query in (LedgerQuery("m", limit=5), LedgerQuery("m", version="1", limit=5)):
            table.ledger_page(query)
        costs["table entities"].append(rows.count)
        costs["sqlite steps"].append(
            sum(
                _steps(db, lambda q=q: sqlite.ledger_page(q))
                for q in (LedgerQuery("m", limit=5), LedgerQuery("m", "1", 5))
            )
        )
    assert costs["table entities"][1] == costs["table entities"][0], costs
    assert costs["sqlite steps"][1] <= 1.2 * costs["sqlite steps"][0], costs


def test_a_models_last_page_looks_for_older_rows_once(azurite: str) -> None:  # noqa: F811
    """Table: the last page of a model's ledger asks once whether rows from before the model-wide log exist; once
    none are found (none can be written any more) its last page is one request again."""
    requests = Requests()
    store = TableStore.from_connection_string(azurite, f"q{uuid.uuid4().hex[:12]}", raw_request_hook=requests)
    for n in range(3):
        _event(store, n, "1", minutes=n)
    sent = []
    for _ in range(3):
        requests.take()
        assert [e.event_id for e in store.ledger_page(LedgerQuery("m")).entries] == ["e2", "e1", "e0"]
        sent.append(requests.take())
    assert sent == [2, 1, 1]
