"""REACTOR_RETENTION_DAYS: the sweep timer prunes completed history older than the setting, once a day; unset,
history is kept; REACTOR_CACHE_ENTRIES bounds each per-process cache."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from functions.sweep import sweep
from shared.adapters.store.table.store import TableStore
from shared.app import bootstrap
from shared.app.azure import table_store
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.contract.azurite import DEV_ACCOUNT, DEV_KEY

TIMER = sweep._function.get_user_function()  # the function the host calls, as the app defines it


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Reactor, FixedClock, str, str]]:
    """An app whose settings come from the environment, with a run failure 10 days old and one of today."""
    monkeypatch.setenv("REACTOR_MODE", "local")
    monkeypatch.setenv("REACTOR_STATE_DIR", str(tmp_path))
    clock = FixedClock(datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    reactor = bootstrap.local(tmp_path, clock=clock)
    old = reactor.handle(synthetic.build("run_status_changed", reactor.workspace_id, status="Failed")).id
    clock.advance(days=10)
    new = reactor.handle(synthetic.build("run_status_changed", reactor.workspace_id, status="Failed")).id
    bootstrap.reset(reactor)
    try:
        yield reactor, clock, old, new
    finally:
        bootstrap.reset()


def test_the_sweep_timer_prunes_history_older_than_the_setting_once_a_day(
    history: tuple[Reactor, FixedClock, str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reactor, clock, old, new = history
    monkeypatch.setenv("REACTOR_RETENTION_DAYS", "7")
    with caplog.at_level(logging.INFO, logger="mlops_reactor"):
        TIMER(None)
    assert reactor.store.ledger(event_id=old) == [] and reactor.store.get_event(old) is None
    assert [e.event_id for e in reactor.store.ledger(event_id=new)] == [new]
    assert "retention pruned 1 events, 1 intents, 0 dead letters" in caplog.text
    caplog.clear()
    clock.advance(minutes=5)
    with caplog.at_level(logging.INFO, logger="mlops_reactor"):
        TIMER(None)  # the next run the same day does nothing
    assert "retention" not in caplog.text


def test_without_the_setting_history_is_kept(history: tuple[Reactor, FixedClock, str, str]) -> None:
    reactor, _clock, old, _new = history
    TIMER(None)
    assert [e.event_id for e in reactor.store.ledger(event_id=old)] == [old]


@pytest.mark.parametrize(("name", "value"), [("REACTOR_RETENTION_DAYS", "1"), ("REACTOR_CACHE_ENTRIES", "lots")])
def test_a_bad_value_names_the_setting(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be a whole number of at least"):
        Settings.from_env({name: value})


def test_the_caches_take_their_size_from_the_setting(tmp_path: Path) -> None:
    settings = bootstrap.local_settings(tmp_path, REACTOR_CACHE_ENTRIES="64")
    reactor = bootstrap.build(settings)
    assert reactor._taken_windows.size == 64
    connection = f"AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};TableEndpoint=http://127.0.0.1:1/{DEV_ACCOUNT};"
    store = table_store(Settings.from_env({**settings.env, "REACTOR_STORAGE_CONNECTION": connection}))
    assert isinstance(store, TableStore) and store.cache_entries == 64
    for n in range(100):  # no request: the ETag memory alone
        store._remember("pk", {"RowKey": f"r{n}", "revision": n})
    assert len(store._etags) == 64 and store._recalled("pk", "r99") is not None and store._recalled("pk", "r0") is None
    assert Settings.from_env({}).cache_entries == 4096 and Settings.from_env({}).retention_days is None
