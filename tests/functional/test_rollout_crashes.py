"""A process killed in the middle of a rollout step: the next look finishes the step, and no step runs twice."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta
from typing import Any

import pytest

from shared.adapters.cd.endpoints_local import LocalEndpoints
from shared.app.settings import Settings
from shared.core.actions import ShiftTraffic
from shared.core.clock import FixedClock
from shared.core.ports import Receipt
from shared.engine.rollout import advance_rollouts
from tests.functional.races import together
from tests.functional.rollout_kit import RolloutDriver, endpoint_reactor


class KilledAround:
    """The endpoints, with the process killed (kill -9) just before or just after one traffic step is applied."""

    def __init__(self, inner: LocalEndpoints, when: str, step: str) -> None:
        self.inner, self.when, self.step = inner, when, step

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def shift(self, step: ShiftTraffic, at: str) -> Receipt:
        if step.step != self.step:
            return self.inner.shift(step, at)
        if self.when == "before":
            os._exit(9)
        self.inner.shift(step, at)
        os._exit(9)


def _tick_and_die(settings: Settings, clock: FixedClock, when: str, step: str) -> None:
    plain = endpoint_reactor(settings, clock)
    assert isinstance(plain.endpoints, LocalEndpoints)
    advance_rollouts(endpoint_reactor(settings, clock, {"endpoints": KilledAround(plain.endpoints, when, step)}))


def _due(drive: RolloutDriver, step: str) -> None:
    """Drive v2 of credit-risk (v1 the champion) to the point where `step` is due on the next look."""
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    if step == "mirror":
        return
    drive.tick()  # mirror
    if step == "rollback":
        drive.endpoints.script(f"health:{drive.name('2')}", requests=100, errors=20)
        drive.clock.advance(minutes=1)
        return
    drive.clock.advance(minutes=10)
    if step == "canary":
        return
    drive.tick()  # canary
    drive.clock.advance(minutes=30)
    if step == "full":
        return
    drive.tick()  # full
    drive.tick()  # production reported: the retirement of v1's deployment is due


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", ["mirror", "canary", "full", "retire", "rollback"])
def test_killed_around_any_step_the_next_look_finishes_it_once_and_the_rollout_goes_on(
    settings: Settings, clock: FixedClock, step: str, when: str
) -> None:
    drive = RolloutDriver(endpoint_reactor(settings, clock), clock)
    _due(drive, step)
    before = drive.steps()
    child = multiprocessing.get_context("fork").Process(target=_tick_and_die, args=(settings, clock, when, step))
    child.start()
    child.join()
    assert child.exitcode == 9
    killed = before + ([f"2:{step}"] if when == "after" else [])
    assert drive.steps() == killed
    drive.tick()
    assert drive.steps() == killed  # the dead process still holds the step's claim: nobody applies it meanwhile
    drive.tick(seconds=drive.reactor.lease_seconds + 1)
    assert drive.steps()[: len(before) + 1] == [*before, f"2:{step}"]  # finished once, in its place
    for _ in range(4):
        drive.tick(minutes=30)
    if step == "rollback":
        assert drive.steps() == ["1:full", "2:mirror", "2:rollback"] and drive.prod() == {"1": 100}
        assert drive.stage("2") == "rejected" and drive.stage("1") == "production"
    else:
        assert drive.steps() == ["1:full", "2:mirror", "2:canary", "2:full", "2:retire"]
        assert drive.stage("2") == "production" and drive.prod() == {"2": 100}


def test_two_timers_at_once_take_each_step_once(settings: Settings, clock: FixedClock) -> None:
    drive = RolloutDriver(endpoint_reactor(settings, clock), clock)
    other = endpoint_reactor(settings, clock)
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    for later in (timedelta(), timedelta(minutes=10), timedelta(minutes=30), timedelta(), timedelta()):
        clock.current += later
        for result in together(lambda: advance_rollouts(other), drive.tick):
            assert isinstance(result, list)  # neither timer failed
    assert drive.steps() == ["1:full", "2:mirror", "2:canary", "2:full", "2:retire"]
    assert drive.stage("2") == "production"
