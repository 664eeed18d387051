"""The Store contract for `dead_letter_page`: filters, newest first, a cursor, status; on SQLite and Azurite Table."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from shared.core.dead_letters import BadQuery, LetterQuery, encode_cursor
from shared.core.store import Store
from tests.contract import test_store_contract as contract
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import AT, LEASE, NOW, commit, finish, intent

opener, store = contract.opener, contract.store  # the contract's fixtures: each Store on a fresh state


def _at(hours: int) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def _letters(store: Store) -> None:
    """Six rejections an hour apart (types A and B; reasons 'foreign' and 'invalid'), then a failed event at
    the first one's time."""
    for n in range(6):
        kind = "A" if n % 2 == 0 else "B"
        reason = "foreign workspace" if n < 3 else "invalid event: field 'data'"
        store.reject(f"bad-{n}", kind, {"id": f"bad-{n}"}, reason, _at(n))
    c = commit("e1", intent("cd:m:1"))
    store.commit(c, NOW, LEASE)
    store.finish(finish(c, outcome="failed", dead="CD did not answer"))


def _ids(store: Store, **query: object) -> list[str]:
    return [str(letter["event_id"]) for letter in store.dead_letter_page(LetterQuery(**query)).letters]  # type: ignore[arg-type]


def test_newest_first_with_kind_status_and_type(store: Store) -> None:
    _letters(store)
    page = store.dead_letter_page(LetterQuery())
    assert [x["event_id"] for x in page.letters] == ["bad-5", "bad-4", "bad-3", "bad-2", "bad-1", "e1", "bad-0"]
    first, last = page.letters[0], page.letters[-2]
    assert (first["event_type"], first["kind"], first["status"], first["raw"]) == (
        "B",
        "rejected",
        "open",
        {"id": "bad-5"},
    )
    assert (last["kind"], last["status"], last["reason"]) == ("failed", "failed", "CD did not answer")
    assert page.next is None


def test_filters_by_type_reason_and_time(store: Store) -> None:
    _letters(store)
    assert _ids(store, event_type="A") == ["bad-4", "bad-2", "bad-0"]
    assert _ids(store, event_type="none") == []
    assert _ids(store, reason="FOREIGN") == ["bad-2", "bad-1", "bad-0"]
    assert _ids(store, since=_at(2), until=_at(4)) == ["bad-3", "bad-2"]  # since inclusive, until exclusive
    assert _ids(store, event_type="B", since=_at(1)) == ["bad-5", "bad-3", "bad-1"]
    assert _ids(store, until=_at(1)) == ["e1", "bad-0"]  # one time: the later written first


def test_pages_follow_the_cursor_to_the_end(store: Store) -> None:
    _letters(store)
    seen, cursor, pages = [], None, 0
    while True:
        page = store.dead_letter_page(LetterQuery(limit=3, cursor=cursor, event_type="A" if pages > 5 else None))
        seen += [x["event_id"] for x in page.letters]
        pages += 1
        if page.next is None:
            break
        cursor = page.next
    assert seen == ["bad-5", "bad-4", "bad-3", "bad-2", "bad-1", "e1", "bad-0"] and pages == 3


def test_a_reason_filter_reads_a_bounded_page_and_says_there_is_more(store: Store) -> None:
    _letters(store)
    page = store.dead_letter_page(LetterQuery(reason="foreign", limit=3))
    assert page.letters == [] and page.next is not None  # the newest three are 'invalid'
    rest = store.dead_letter_page(LetterQuery(reason="foreign", limit=4, cursor=page.next))
    assert [x["event_id"] for x in rest.letters] == ["bad-2", "bad-1", "bad-0"]


def test_a_letter_whose_event_completed_since_is_resolved(store: Store) -> None:
    _letters(store)
    c = commit("bad-3", intent("cd:m:3"))
    store.commit(c, NOW, LEASE)
    store.finish(finish(c))
    status = {x["event_id"]: x["status"] for x in store.dead_letter_page(LetterQuery()).letters}
    assert status["bad-3"] == "resolved" and status["bad-2"] == "open"


def test_a_cursor_of_another_shape_is_refused_naming_it(store: Store) -> None:
    with pytest.raises(BadQuery, match="'cursor'"):
        store.dead_letter_page(LetterQuery(cursor=encode_cursor([1, 2, 3])))


def test_prune_takes_old_letters_from_every_list(store: Store) -> None:
    _letters(store)
    counts = store.prune(_at(3), apply=True)
    assert counts["dead letters"] == 4  # bad-0..2 and e1 (at NOW)
    assert _ids(store) == ["bad-5", "bad-4", "bad-3"]
    assert _ids(store, event_type="A") == ["bad-4"]


def test_a_later_letter_of_the_same_event_supersedes_and_status_filters(store: Store) -> None:
    _letters(store)
    store.reject("bad-1", "B", {"id": "bad-1"}, "still foreign", _at(9))
    page = store.dead_letter_page(LetterQuery())
    assert [(x["event_id"], x["status"]) for x in page.letters][:2] == [("bad-1", "open"), ("bad-5", "open")]
    assert [x["status"] for x in page.letters if x["event_id"] == "bad-1"] == ["open", "superseded"]
    assert _ids(store, status="superseded") == ["bad-1"]
    assert _ids(store, status="failed") == ["e1"]
    assert len(_ids(store, status="open")) == 6


def test_sqlite_state_from_before_the_letter_columns_gets_them_with_each_type(tmp_path: Path) -> None:
    import sqlite3

    from shared.adapters.store.sqlite import SqliteStore
    from shared.adapters.store.sqlite.schema import SCHEMA, SCHEMA_VERSION

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the schema as it was: dead_letters without event_type and kind
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        raw = json.dumps({"id": "old-1", "eventType": "Microsoft.MachineLearningServices.ModelRegistered"})
        db.execute("INSERT INTO dead_letters (event_id, at, reason, raw) VALUES ('old-1', ?, 'invalid', ?)", (AT, raw))
    db.close()
    store = SqliteStore(path)
    [letter] = store.dead_letter_page(
        LetterQuery(event_type="Microsoft.MachineLearningServices.ModelRegistered")
    ).letters
    assert (letter["event_id"], letter["kind"], letter["status"]) == ("old-1", "", "open")
