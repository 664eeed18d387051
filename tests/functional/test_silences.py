"""Silences on the simulator: a silenced storm sends nothing and its expiry notice counts it; other channels and
scopes still hear; setting and ending go through the core (ledger, keys), and twice is once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.core.policy import parse_policy
from shared.core.silences import silence_id
from shared.engine.reactor import Reactor
from shared.engine.reconcile import reconcile
from shared.engine.silences import end_silence, expire_silences, set_silence
from shared.tools import synthetic
from tests.functional.conftest import StoreFactory
from tests.functional.driver import Driver


@pytest.fixture
def drive(reactor: Reactor) -> Driver:
    reactor.active_silences.ttl = 0  # the tests move a fake clock; the cache's own test is below
    return Driver(reactor)


def silence(drive: Driver, clock: FixedClock, scope: str, pattern: str, hours: float = 1, **more: str) -> str:
    until = (clock.now() + timedelta(hours=hours)).isoformat()
    sid = silence_id(scope, pattern, until, "sre@contoso.example", "planned maintenance")
    data = {"silence": sid, "scope": scope, "pattern": pattern, "until": until}
    outcome = set_silence(drive.reactor, {**data, "by": "sre@contoso.example", "why": "planned maintenance", **more})
    assert outcome.outcome == "handled", outcome
    return sid


def storm(drive: Driver, n: int, experiment: str = "nightly-etl", prefix: str = "r") -> None:
    ws = drive.reactor.workspace_id
    for i in range(n):
        drive.deliver(
            synthetic.build("run_status_changed", ws, status="Failed", experiment=experiment, run_id=f"{prefix}{i}")
        )


def test_a_silenced_storm_sends_nothing_and_the_expiry_notice_counts_it(drive: Driver, clock: FixedClock) -> None:
    sid = silence(drive, clock, "experiment", "nightly-*")
    storm(drive, 50)
    assert drive.notices("run_failed") == []
    assert drive.reactor.store.held(sid) == {"run_failed": 1}  # one alert window held; the storm grouped into it
    clock.advance(seconds=2 * 3600)
    storm(drive, 1, prefix="late")  # its time passed: no longer held, even before the loop ends it
    [late] = drive.notices("run_failed")
    assert late.facts["Grouped since the last alert"] == "49"  # the storm the held alert grouped is counted here
    [ended] = expire_silences(drive.reactor, clock.now())
    assert ended.outcome == "handled"
    [notice] = drive.notices("silence_expired")
    assert notice.channel == "oncall" and notice.facts["Held back"] == "1 run_failed"
    assert notice.facts["Ended"] == "its time passed"
    assert expire_silences(drive.reactor, clock.now()) == []  # ended once
    assert drive.reactor.store.get_silence(sid).ended_at == clock.now().isoformat()  # type: ignore[union-attr]


def test_the_held_notice_is_recorded_as_silenced_with_the_silence_id(drive: Driver, clock: FixedClock) -> None:
    sid = silence(drive, clock, "channel", "oncall")
    [outcome] = drive.deliver(synthetic.build("run_status_changed", drive.reactor.workspace_id, status="Failed"))
    [action] = [a for a in outcome.actions if a["kind"] == "notify"]
    assert (action["status"], action["silenced"], action["silence"]) == ("silenced", sid, sid)
    [entry] = drive.reactor.store.ledger(event_id=outcome.id)
    assert entry.detail is not None and entry.detail["actions"][0]["silenced"] == sid


def test_an_unsilenced_channel_or_experiment_still_gets_its_notice(drive: Driver, clock: FixedClock) -> None:
    silence(drive, clock, "experiment", "nightly-*")
    storm(drive, 3, experiment="training-prod")
    assert [n.channel for n in drive.notices("run_failed")] == ["oncall"]


def test_a_model_silence_holds_its_verdicts_but_not_other_models(drive: Driver, clock: FixedClock) -> None:
    silence(drive, clock, "model", "credit-*")
    drive.register("credit-risk")
    drive.finish("offline_test", auc=0.95, latency_ms=10)
    drive.register("churn")
    drive.finish("offline_test", auc=0.95, latency_ms=10)
    assert [n.facts["Model"] for n in drive.notices("verdict")] == ["churn:1"]


def test_a_person_ends_a_silence_early_and_hears_what_it_held(drive: Driver, clock: FixedClock) -> None:
    sid = silence(drive, clock, "monitor", "credit-risk-*", notify="drift")
    drive.deliver(synthetic.build("monitor_breach", drive.reactor.workspace_id, run_id="mon-1"))
    assert drive.notices("drift") == [] and len(drive.workspace.jobs()) == 1  # retraining is not silenced
    clock.advance(seconds=60)
    first = end_silence(drive.reactor, sid, "sre@contoso.example", "done early")
    again = end_silence(drive.reactor, sid, "other@contoso.example", "")
    assert (first.outcome, again.outcome) == ("handled", "duplicate")
    [notice] = drive.notices("silence_expired")
    assert notice.channel == "drift" and notice.facts["Held back"] == "1 drift"
    assert notice.facts["Ended"] == "by sre@contoso.example: done early"
    assert expire_silences(drive.reactor, clock.now() + timedelta(hours=2)) == []  # the timer finds it ended
    drive.deliver(synthetic.build("monitor_breach", drive.reactor.workspace_id, run_id="mon-2"))
    assert drive.notices("drift") == []  # cooling down: no retrain, no notice; but nothing is held any more
    assert drive.reactor.store.held(sid) == {"drift": 1}


def test_setting_the_same_silence_twice_is_one_silence(drive: Driver, clock: FixedClock) -> None:
    sid = silence(drive, clock, "channel", "oncall")
    until = drive.reactor.store.get_silence(sid).until  # type: ignore[union-attr]
    data = {"silence": sid, "scope": "channel", "pattern": "oncall", "until": until}
    again = set_silence(drive.reactor, {**data, "by": "sre@contoso.example", "why": "planned maintenance"})
    assert again.outcome == "duplicate"
    assert [s.id for s in drive.reactor.store.silences()] == [sid]
    [entry] = drive.reactor.store.ledger(event_id=f"SilenceSet-{sid}")
    assert entry.outcome == "handled" and entry.detail and entry.detail["actions"][0]["kind"] == "save_silence"


def test_a_silence_set_in_another_process_holds_within_the_cache_time(reactor: Reactor, clock: FixedClock) -> None:
    ticks = [0.0]
    reactor.active_silences._monotonic = lambda: ticks[0]
    reactor.active_silences.ttl = 5
    drive = Driver(reactor)
    storm(drive, 1, experiment="a")  # reads the (empty) silences
    other = Reactor(
        **{
            k: getattr(reactor, k)
            for k in ("policy", "store", "workspace", "deployer", "notifier", "clock", "workspace_id", "public_url")
        }
    )
    other.active_silences.ttl = 0
    silence(Driver(other), clock, "experiment", "b")
    storm(drive, 1, experiment="b")  # within the cache time: this process does not know it yet
    assert len(drive.notices("run_failed")) == 2
    ticks[0] = 6.0
    storm(drive, 1, experiment="b", prefix="x")
    clock.advance(seconds=16 * 60)  # a new alert window
    storm(drive, 1, experiment="b", prefix="y")
    assert len(drive.notices("run_failed")) == 2  # held now


def test_a_silence_that_ended_elsewhere_holds_nothing_even_if_cached(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    reactor.active_silences.ttl = 3600
    sid = silence(drive, clock, "experiment", "b")
    storm(drive, 1, experiment="a")  # the cache now holds the silence
    other = Reactor(
        **{
            k: getattr(reactor, k)
            for k in ("policy", "store", "workspace", "deployer", "notifier", "clock", "workspace_id", "public_url")
        }
    )
    end_silence(other, sid, "sre@contoso.example", "")
    storm(drive, 1, experiment="b")  # marked by the stale cache; the store refuses the hold: it is sent
    assert len(drive.notices("run_failed")) == 2


def test_budget_policy_default_is_none(reactor: Reactor) -> None:
    assert all(r.retrain_budget is None for r in reactor.policy.drift.rules)
    document = reactor.policy.model_dump(mode="json")
    document["drift"]["rules"][0]["retrain_budget"] = {"max": 2, "window_hours": 24}
    assert parse_policy(document).drift.rules[0].retrain_budget is not None


def test_two_hosts_on_each_store_hold_one_storm_and_end_the_silence_once(
    tmp_path: Path, clock: FixedClock, settings: Settings, shared_state: StoreFactory
) -> None:
    """Both stores: a silence set on one host holds the other's notices; both end it, one notice counts it."""
    first, second = (replace(bootstrap.build(settings, clock=clock), store=shared_state(tmp_path)) for _ in range(2))
    for reactor in (first, second):
        reactor.active_silences.ttl = 0
    sid = silence(Driver(first), clock, "experiment", "nightly-*")
    ws = first.workspace_id
    for n in range(6):
        host = (first, second)[n % 2]
        host.handle(
            synthetic.build("run_status_changed", ws, status="Failed", experiment="nightly-etl", run_id=f"r{n}")
        )
    outbox = Driver(first)
    assert outbox.notices("run_failed") == []
    assert first.store.held(sid) == {"run_failed": 1}
    clock.advance(hours=2)
    ended = [expire_silences(r, clock.now()) for r in (first, second)]
    assert [o.outcome for batch in ended for o in batch] in (["handled", "duplicate"], ["handled"])
    [notice] = outbox.notices("silence_expired")
    assert notice.facts["Held back"] == "1 run_failed"


def test_the_reconcile_timer_ends_a_silence_whose_time_passed(drive: Driver, clock: FixedClock) -> None:
    sid = silence(drive, clock, "experiment", "nightly-*")
    storm(drive, 3)
    assert not [o for o in reconcile(drive.reactor).outcomes if o.type == "MLOpsReactor.SilenceExpired"]
    clock.advance(seconds=2 * 3600)
    [ended] = [o for o in reconcile(drive.reactor).outcomes if o.type == "MLOpsReactor.SilenceExpired"]
    assert ended.outcome == "handled"
    [notice] = drive.notices("silence_expired")
    assert notice.facts["Held back"] == "1 run_failed"
    assert not [o for o in reconcile(drive.reactor).outcomes if o.type == "MLOpsReactor.SilenceExpired"]
    assert drive.reactor.store.get_silence(sid).ended_at is not None  # type: ignore[union-attr]
