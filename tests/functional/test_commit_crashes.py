"""A real process killed between the parts of a Table store commit: the decision is made once, never lost.

On Table Storage a verdict's commit spans partitions: the claim, then the job's new status with the completion's
occurrence (one transaction in the job's partition), then the decision in the model's partition. A process killed
between the job's write and the decision's left the job closed with no decision behind it: the redelivery, the
twin and the sweep then saw a job reported already, and the verdict was lost.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.store.table.store import TableStore
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.functional.driver import Driver
from tests.functional.races import CallLog, host

Parts = Any  # the table store's decision partitions, as `TableStore._write_parts` takes them


def _die(*_: Any, **__: Any) -> Any:
    os._exit(9)


def _deliver_and_die(settings: Settings, clock: FixedClock, log_path: Path, event: dict[str, Any], url: str) -> None:
    """In the child: the store dies (kill -9) when the decision is about to be written, the job's write done."""
    store = TableStore.from_connection_string(url, prefix=log_path.parent.name)
    store._write_parts = _die  # type: ignore[method-assign]
    host(settings, clock, CallLog(log_path), store=store).handle(event)


@pytest.fixture
def killed(
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    azurite: str,  # noqa: F811
) -> tuple[Driver, CallLog, dict[str, Any], dict[str, Any]]:
    """A version tested; its RunCompleted delivered by a process killed between the job's write and the decision.

    The driver, the call log, and the two events of the run (RunCompleted, its RunStatusChanged twin).
    """
    folder = tmp_path / f"t{uuid.uuid4().hex[:12]}"
    folder.mkdir()
    log = CallLog(folder / "calls.jsonl")
    drive = Driver(host(settings, clock, log, store=TableStore.from_connection_string(azurite, prefix=folder.name)))
    drive.register()
    job = drive.queued("offline_test")["name"]
    completed, status_changed = drive.workspace.complete_job(job, "Completed", {"auc": 0.9, "latency_ms": 1})
    child = multiprocessing.get_context("fork").Process(
        target=_deliver_and_die, args=(settings, clock, log.path, completed, azurite)
    )
    child.start()
    child.join()
    assert child.exitcode == 9
    assert drive.reactor.store.get_job(job).status != "Submitted"  # the job's write landed: the crash point
    assert drive.stage("1") == "testing"  # the decision did not
    return drive, log, completed, status_changed


def _verdict_applied_once(drive: Driver, log: CallLog) -> None:
    assert drive.stage("1") == "candidate"
    assert len(log.entries(kind="cd", environment="staging")) == 1
    assert len(log.entries(kind="notify", template="verdict")) == 1
    assert drive.reactor.store.stalled(drive.reactor.clock.now(), 10) == []


def test_the_redelivery_decides_the_verdict_the_killed_process_never_wrote(
    killed: tuple[Driver, CallLog, dict[str, Any], dict[str, Any]],
) -> None:
    drive, log, completed, status_changed = killed
    drive.reactor.clock.advance(seconds=drive.reactor.lease_seconds + 1)  # type: ignore[attr-defined]
    assert drive.reactor.handle(completed).outcome == "handled"
    assert drive.reactor.handle(completed).outcome == "duplicate"
    assert drive.reactor.handle(status_changed).outcome == "duplicate"
    _verdict_applied_once(drive, log)


def test_the_twin_decides_the_verdict_the_killed_process_never_wrote(
    killed: tuple[Driver, CallLog, dict[str, Any], dict[str, Any]],
) -> None:
    drive, log, completed, status_changed = killed
    drive.reactor.clock.advance(seconds=drive.reactor.lease_seconds + 1)  # type: ignore[attr-defined]
    assert drive.reactor.handle(status_changed).outcome == "handled"
    assert drive.reactor.handle(completed).outcome == "duplicate"
    _verdict_applied_once(drive, log)


def test_the_sweep_decides_the_verdict_the_killed_process_never_wrote(
    killed: tuple[Driver, CallLog, dict[str, Any], dict[str, Any]],
) -> None:
    drive, log, completed, status_changed = killed
    assert drive.reactor.sweep() == []  # the lease still runs
    drive.reactor.clock.advance(seconds=drive.reactor.lease_seconds + 1)  # type: ignore[attr-defined]
    [decided] = drive.reactor.sweep()
    assert decided.id == completed["id"] and decided.outcome == "handled"
    assert drive.reactor.handle(completed).outcome == "duplicate"
    assert drive.reactor.handle(status_changed).outcome == "duplicate"
    _verdict_applied_once(drive, log)
    assert drive.reactor.store.is_completed(completed["id"])
