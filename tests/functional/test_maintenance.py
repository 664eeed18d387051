"""Maintenance from the command line: the sweep, and pruning old history with a dry run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.functional.driver import Driver
from tests.functional.test_cli import cli


def test_sweep_command_reports_what_it_finished(settings: Settings) -> None:
    done = cli(settings, "sweep")
    assert done.returncode == 0, done.stderr
    assert "0 stalled event(s) finished" in done.stdout


def test_prune_refuses_a_date_event_grid_may_still_redeliver(settings: Settings) -> None:
    done = cli(settings, "prune", "--before", "2999-01-01")
    assert done.returncode == 2 and "at least 2 days ago" in done.stderr
    assert cli(settings, "prune", "--before", "yesterday").returncode == 2


def test_prune_counts_first_then_deletes_old_completed_events_and_keeps_the_state(
    reactor: Reactor, clock: FixedClock
) -> None:
    drive = Driver(reactor)
    old = drive.register()[0]
    drive.deliver({"id": "bad", "eventType": "Microsoft.MachineLearningServices.ModelRegistered", "data": {}})
    clock.advance(days=10)
    new = drive.register()[0]
    before = (clock.now() - timedelta(days=5)).isoformat()
    counts = reactor.store.prune(before, apply=False)
    assert counts == {"events": 2, "intents": 2, "dead letters": 1}  # a rejection is an event of the ledger too
    assert reactor.store.get_event(old["id"]) is not None  # a dry run deletes nothing
    assert reactor.store.prune(before, apply=True) == counts
    assert reactor.store.get_event(old["id"]) is None and reactor.store.dead_letters() == []
    assert reactor.store.get_event(new["id"]) is not None
    assert drive.stage("1") == "testing" and drive.stage("2") == "testing"  # records are the state: kept
    assert reactor.store.prune(before, apply=True) == {"events": 0, "intents": 0, "dead letters": 0}


@pytest.mark.parametrize("days", [0, 1])
def test_recent_history_is_never_pruned(reactor: Reactor, clock: FixedClock, days: int) -> None:
    Driver(reactor).deliver(synthetic.build("model_registered", reactor.workspace_id))
    assert reactor.store.prune((clock.now() - timedelta(days=days)).isoformat(), apply=True)["events"] == 0
