"""A process killed around the registry copy: the copy is made once, and the staging CD is never sent blindly."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

from shared.app.settings import Settings
from shared.core.clock import FixedClock
from tests.functional.conftest import StoreFactory
from tests.functional.driver import Driver
from tests.functional.envs_kit import REGISTRY, envs_policy
from tests.functional.races import CallLog, host


class DyingWorkspace:
    """The simulator, in a process that dies right before (`before`) or right after the registry copy."""

    def __init__(self, inner: Any, before: bool) -> None:
        self.inner, self.before = inner, before

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def share_to_registry(self, model: str, version: str, registry: str) -> bool:
        if self.before:
            os._exit(9)
        self.inner.share_to_registry(model, version, registry)
        os._exit(9)


def _deliver_and_die(
    settings: Settings, clock: FixedClock, log_path: Path, event: dict[str, Any], state: StoreFactory, before: bool
) -> None:
    log = CallLog(log_path)
    policy = envs_policy(settings.workspace_id)
    plain = host(settings, clock, log, policy=policy)
    reactor = host(
        settings,
        clock,
        log,
        policy=policy,
        store=state(log_path.parent),
        workspace=DyingWorkspace(plain.workspace, before),
    )
    reactor.handle(event)


def _killed_at_the_copy(
    settings: Settings, clock: FixedClock, tmp_path: Path, state: StoreFactory, before: bool
) -> tuple[Driver, CallLog, dict[str, Any]]:
    log = CallLog(tmp_path / "calls.jsonl")
    drive = Driver(host(settings, clock, log, store=state(tmp_path), policy=envs_policy(settings.workspace_id)))
    drive.register()
    completed, _ = drive.workspace.complete_job(
        drive.queued("offline_test")["name"], "Completed", {"auc": 0.9, "latency_ms": 1}
    )
    child = multiprocessing.get_context("fork").Process(
        target=_deliver_and_die, args=(settings, clock, log.path, completed, state, before)
    )
    child.start()
    child.join()
    assert child.exitcode == 9
    clock.advance(seconds=drive.reactor.lease_seconds + 1)
    return drive, log, completed


def test_killed_between_the_copy_and_the_staging_cd_the_sweep_copies_nothing_twice_and_never_sends_blindly(
    settings: Settings, clock: FixedClock, tmp_path: Path, shared_state: StoreFactory
) -> None:
    drive, log, completed = _killed_at_the_copy(settings, clock, tmp_path, shared_state, before=False)
    assert drive.workspace.registry_models(REGISTRY) == [("credit-risk", "1")]
    [finished] = drive.reactor.sweep()
    assert finished.id == completed["id"]
    copy, cd = finished.actions[0], finished.actions[1]
    assert copy["kind"] == "copy_to_registry" and copy["status"] == "done"
    assert cd["kind"] == "trigger_cd" and cd["status"] == "unconfirmed" and "correlation id" in cd["error"]
    assert drive.workspace.registry_models(REGISTRY) == [("credit-risk", "1")]  # no second copy
    assert log.entries(kind="cd") == []  # it may have left: never sent blindly
    assert len(log.entries(kind="notify", template="verdict")) == 1  # the rest of the plan was finished
    assert drive.reactor.store.stalled(clock.now(), 10) == []


def test_killed_before_the_copy_the_sweep_copies_once_then_sends_the_staging_cd_once(
    settings: Settings, clock: FixedClock, tmp_path: Path, shared_state: StoreFactory
) -> None:
    drive, log, completed = _killed_at_the_copy(settings, clock, tmp_path, shared_state, before=True)
    assert drive.workspace.registry_models(REGISTRY) == []
    [finished] = drive.reactor.sweep()
    assert [a["status"] for a in finished.actions[:2]] == ["done", "done"]
    assert drive.workspace.registry_models(REGISTRY) == [("credit-risk", "1")]
    assert len(log.entries(kind="cd", environment="staging")) == 1
    assert drive.reactor.store.is_completed(completed["id"])
