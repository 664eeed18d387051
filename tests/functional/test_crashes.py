"""A process killed in the middle of an event: its committed intents are finished, none is done twice blindly."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

from shared.app.settings import Settings
from shared.core.actions import TriggerCD
from shared.core.clock import FixedClock
from shared.core.ports import Receipt
from tests.functional.conftest import StoreFactory
from tests.functional.driver import Driver
from tests.functional.races import CallLog, LoggedDeployer, host


class KilledAfterSending(LoggedDeployer):
    """Sends the request (logged), then the process dies before anything else is written: kill -9."""

    def deploy(self, request: TriggerCD) -> Receipt:
        super().deploy(request)
        os._exit(9)


def _deliver_and_die(
    settings: Settings, clock: FixedClock, log_path: Path, event: dict[str, Any], state: StoreFactory
) -> None:
    log = CallLog(log_path)
    plain = Driver(host(settings, clock, log))
    store = state(log_path.parent)
    reactor = host(settings, clock, log, store=store, deployer=KilledAfterSending(plain.cd, log))
    reactor.handle(event)


def _killed_during_the_verdict(
    settings: Settings, clock: FixedClock, tmp_path: Path, state: StoreFactory
) -> tuple[Driver, CallLog, dict[str, Any], dict[str, Any]]:
    """A version tested; its RunCompleted delivered by a process killed right after the staging CD request.

    The driver, the call log, and the two events of the run (RunCompleted, its RunStatusChanged twin).
    """
    log = CallLog(tmp_path / "calls.jsonl")
    drive = Driver(host(settings, clock, log, store=state(tmp_path)))
    drive.register()
    completed, status_changed = drive.workspace.complete_job(
        drive.queued("offline_test")["name"], "Completed", {"auc": 0.9, "latency_ms": 1}
    )
    child = multiprocessing.get_context("fork").Process(
        target=_deliver_and_die, args=(settings, clock, log.path, completed, state)
    )
    child.start()
    child.join()
    assert child.exitcode == 9
    return drive, log, completed, status_changed


def test_killed_after_the_staging_request_the_twin_finishes_the_event_without_a_second_request(
    settings: Settings, clock: FixedClock, tmp_path: Path, shared_state: StoreFactory
) -> None:
    drive, log, completed, status_changed = _killed_during_the_verdict(settings, clock, tmp_path, shared_state)
    assert drive.stage("1") == "candidate"  # the decision was committed before the request
    clock.advance(seconds=drive.reactor.lease_seconds + 1)
    twin = drive.reactor.handle(status_changed)
    assert twin.outcome == "duplicate"
    assert len(log.entries(kind="cd", environment="staging")) == 1  # never sent blindly again
    assert len(log.entries(kind="notify", template="verdict")) == 1  # the rest of the plan was finished
    entry = drive.reactor.store.ledger(event_id=completed["id"])[-1]
    assert entry.detail is not None and "correlation id" in str(entry.detail.get("error"))
    assert drive.reactor.store.stalled(clock.now(), 10) == []


def test_the_sweep_finishes_an_event_whose_delivery_died(
    settings: Settings, clock: FixedClock, tmp_path: Path, shared_state: StoreFactory
) -> None:
    drive, log, completed, _ = _killed_during_the_verdict(settings, clock, tmp_path, shared_state)
    assert drive.reactor.sweep() == []  # the lease still runs: nothing to take over yet
    clock.advance(seconds=drive.reactor.lease_seconds + 1)
    [finished] = drive.reactor.sweep()
    assert finished.id == completed["id"] and finished.outcome == "handled"
    assert len(log.entries(kind="notify", template="verdict")) == 1
    assert drive.reactor.store.is_completed(completed["id"])
