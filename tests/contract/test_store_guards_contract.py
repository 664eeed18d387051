"""The Store contract for silences, held-back notices and retrain-budget resets: SqliteStore and TableStore."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.store.table.store import TableStore
from shared.core.silences import Silence
from shared.core.store import Store
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "table"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """Opens each Store implementation on one fresh state (call again: another instance on the same state)."""
    if request.param == "sqlite":
        return lambda: SqliteStore(tmp_path / "reactor.db")
    connection, prefix = request.getfixturevalue("azurite"), f"t{uuid.uuid4().hex[:12]}"
    return lambda: TableStore.from_connection_string(connection, prefix=prefix)


@pytest.fixture
def store(opener: Callable[[], Store]) -> Store:
    return opener()


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def silence(sid: str = "sil-1", until: float = 60, pattern: str = "nightly-*") -> Silence:
    return Silence(
        id=sid, scope="experiment", pattern=pattern, starts=at(0), until=at(until), by="sre", why="maintenance"
    )


def test_a_saved_silence_is_listed_until_ended_then_listed_as_ended(store: Store) -> None:
    store.save_silence(silence("sil-b", until=120))
    store.save_silence(silence("sil-a", until=60))
    store.save_silence(silence("sil-a", until=60))  # saved twice: one silence
    assert [s.id for s in store.silences()] == ["sil-a", "sil-b"]  # soonest to end first
    assert store.get_silence("sil-a") == silence("sil-a", until=60)
    store.save_silence(replace(silence("sil-a"), ended_at=at(5), ended_by="sre"))
    store.save_silence(replace(silence("sil-b", until=120), ended_at=at(6), ended_by="mlops-reactor"))
    assert store.silences() == []
    assert [s.id for s in store.silences(ended=True)] == ["sil-b", "sil-a"]  # newest end first
    assert [s.id for s in store.silences(ended=True, limit=1)] == ["sil-b"]
    assert store.get_silence("missing") is None


def test_an_ended_silence_stays_ended(store: Store) -> None:
    ended = replace(silence(), ended_at=at(5), ended_by="sre")
    store.save_silence(ended)
    store.save_silence(silence())  # a late save of it as set (a resumed intent)
    assert store.get_silence("sil-1") == ended and store.silences() == []


def test_hold_counts_each_notice_once_by_kind_while_active(store: Store) -> None:
    store.save_silence(silence())
    assert store.hold("sil-1", "alert:oncall:a", "run_failed", at(1))
    assert store.hold("sil-1", "alert:oncall:a", "run_failed", at(2))  # the same notice again: counted once
    assert store.hold("sil-1", "alert:oncall:b", "run_failed", at(2))
    assert store.hold("sil-1", "notify:drift:x:drift", "drift", at(3))
    assert store.held("sil-1") == {"run_failed": 2, "drift": 1}
    assert store.held("other") == {}


def test_hold_is_refused_when_the_silence_is_unknown_past_its_time_or_ended(
    opener: Callable[[], Store],
) -> None:
    store = opener()
    assert not store.hold("nope", "k", "run_failed", at(1))
    store.save_silence(silence(until=60))
    assert not store.hold("sil-1", "k1", "run_failed", at(60))  # its end is exclusive
    assert not store.hold("sil-1", "k0", "run_failed", at(-1))  # not started yet
    opener().save_silence(replace(silence(), ended_at=at(5), ended_by="sre"))  # another instance ends it
    assert not store.hold("sil-1", "k2", "run_failed", at(6))
    assert store.held("sil-1") == {}


def test_budget_reset_keeps_the_latest(store: Store) -> None:
    assert store.budget_reset("m") is None
    store.reset_budget("m", at(10))
    store.reset_budget("m", at(5))  # an older reset (a resumed intent) does not move it back
    assert store.budget_reset("m") == at(10)
    store.reset_budget("m", at(20))
    assert store.budget_reset("m") == at(20) and store.budget_reset("other") is None


def test_a_table_end_cut_short_is_put_right_by_the_next_save(azurite: str) -> None:  # noqa: F811
    """The Table store ends a silence in three writes; a save of it again finishes what a crash left."""
    from shared.adapters.store.table.guards import GUARDS, SILENCE, _entity, _pk

    store = TableStore.from_connection_string(azurite, prefix=f"t{uuid.uuid4().hex[:12]}")
    store.save_silence(silence())
    ended = replace(silence(), ended_at=at(5), ended_by="sre")
    store.table(GUARDS).upsert_entity(_entity(_pk("sil-1"), SILENCE, ended))  # the first write only, then a crash
    assert [s.id for s in store.silences()] == ["sil-1"]
    assert not store.hold("sil-1", "k", "run_failed", at(6))  # the authority says ended: nothing is held
    store.save_silence(ended)  # the resumed intent
    assert store.silences() == [] and [s.id for s in store.silences(ended=True)] == ["sil-1"]
