"""A real process killed between the parts of a Table store commit: the decision is made once, never lost.

On Table Storage a verdict's commit spans partitions: the claim, then the job's new status with the completion's
occurrence (one transaction in the job's partition), then the decision in the model's partition. A process killed
between the job's write and the decision's left the job closed with no decision behind it: the redelivery, the
twin and the sweep then saw a job reported already, and the verdict was lost. Each case is also killed one step
earlier (the claim written, the job's status not).
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
from shared.engine.reconcile import check_jobs, reconcile, sweep_stalled
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.functional.driver import Driver
from tests.functional.races import CallLog, host


def _die(*_: Any, **__: Any) -> Any:
    os._exit(9)


def _deliver_and_die(
    settings: Settings, clock: FixedClock, log_path: Path, event: dict[str, Any], url: str, at: str
) -> None:
    """In the child: the store dies (kill -9) when it is about to run step `at` of its commit."""
    store = TableStore.from_connection_string(url, prefix=log_path.parent.name)
    setattr(store, at, _die)
    host(settings, clock, CallLog(log_path), store=store).handle(event)


def _kill_during(
    settings: Settings, clock: FixedClock, tmp_path: Path, url: str, status: str, at: str = "_write_parts"
) -> tuple[Driver, CallLog, list[dict[str, Any]]]:
    """A version tested; the first event of its test run's end (`status`) delivered by a process killed between
    the job's write and the decision (`at="_take"`: between the claim and the job's write). The driver, the call
    log, and the run's events."""
    folder = tmp_path / f"t{uuid.uuid4().hex[:12]}"
    folder.mkdir()
    log = CallLog(folder / "calls.jsonl")
    drive = Driver(host(settings, clock, log, store=TableStore.from_connection_string(url, prefix=folder.name)))
    drive.register()
    job = drive.queued("offline_test")["name"]
    events = drive.workspace.complete_job(job, status, {"auc": 0.9, "latency_ms": 1})
    child = multiprocessing.get_context("fork").Process(
        target=_deliver_and_die, args=(settings, clock, log.path, events[0], url, at)
    )
    child.start()
    child.join()
    assert child.exitcode == 9
    assert drive.reactor.store.get_job(job).status == (status if at == "_write_parts" else "Submitted")
    assert drive.stage("1") == "testing"  # the decision did not
    return drive, log, events


@pytest.fixture(params=["_write_parts", "_take"])
def killed(
    request: pytest.FixtureRequest,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    azurite: str,  # noqa: F811
) -> tuple[Driver, CallLog, dict[str, Any], dict[str, Any]]:
    """A passing test's RunCompleted killed in the middle of its commit: the driver, the call log, RunCompleted,
    its twin."""
    at = request.param
    drive, log, (completed, status_changed) = _kill_during(settings, clock, tmp_path, azurite, "Completed", at)
    return drive, log, completed, status_changed


def _verdict_applied_once(drive: Driver, log: CallLog) -> None:
    drive.reactor.sweep()  # a dead claim the twin did not need to drop (its decision never landed) goes now
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


def test_the_redelivery_of_a_failure_pages_once_after_the_killed_process_closed_the_job(
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    azurite: str,  # noqa: F811
) -> None:
    drive, log, events = _kill_during(settings, clock, tmp_path, azurite, "Failed")
    clock.advance(seconds=drive.reactor.lease_seconds + 1)
    assert [drive.reactor.handle(e).outcome for e in events] == ["handled"] + ["duplicate"] * (len(events) - 1)
    assert drive.reactor.handle(events[0]).outcome == "duplicate"
    assert drive.stage("1") == "rejected"
    assert [e["template"] for e in log.entries(kind="notify")] == ["run_failed", "test_failed"]


@pytest.mark.parametrize("at", ["_write_parts", "_save_jobs"])
def test_the_redelivery_of_a_registration_submits_the_test_the_killed_process_never_decided(
    at: str,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    azurite: str,  # noqa: F811
) -> None:
    folder = tmp_path / f"t{uuid.uuid4().hex[:12]}"
    folder.mkdir()
    log = CallLog(folder / "calls.jsonl")
    drive = Driver(host(settings, clock, log, store=TableStore.from_connection_string(azurite, prefix=folder.name)))
    registered = drive.workspace.register_model("credit-risk", {})
    child = multiprocessing.get_context("fork").Process(
        target=_deliver_and_die, args=(settings, clock, log.path, registered, azurite, at)
    )
    child.start()
    child.join()
    assert child.exitcode == 9 and drive.stage("1") is None

    clock.advance(minutes=drive.reactor.policy.reconcile.job_timeout_minutes + 1)
    report = reconcile(drive.reactor, steps=(sweep_stalled, check_jobs))  # the claim dropped, then the jobs asked
    # No job of it is looked for (none was submitted): no "lost" finding, no error in every reconcile run after.
    assert (report.checked, report.errors, report.outcomes, log.entries(kind="notify")) == (0, [], [], [])
    assert drive.reactor.handle(registered).outcome == "handled"
    assert drive.reactor.handle(registered).outcome == "duplicate"
    assert drive.stage("1") == "testing"
    assert [j["purpose"] for j in drive.workspace.jobs(status="Queued")] == ["offline_test"]  # submitted once
    assert drive.reactor.store.stalled(clock.now(), 10) == []
