"""v2 model monitors: a tagged run is drift whatever its terminal status; twins are one occurrence; a monitor's
own failure goes to its owners, not on-call; a status Azure ML adds later is ignored with a note."""

from __future__ import annotations

import pytest

from shared.core.errors import PolicyError
from shared.core.policy import parse_policy
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.conftest import load_event
from tests.functional.driver import Driver


@pytest.fixture
def drive(reactor: Reactor) -> Driver:
    return Driver(reactor)


def keys(drive: Driver, *events: dict[str, object]) -> list[str]:
    """The intent keys the plan of each event would have (a dry run: nothing claimed)."""
    return [str(a["key"]) for e in events for a in drive.reactor.handle(e, dry_run=True).actions]


@pytest.mark.parametrize("status", ["Completed", "Failed"])
@pytest.mark.parametrize("schema", ["eventgrid", "cloudevents"])
def test_both_twins_of_a_breach_make_one_retrain_and_one_notice(drive: Driver, status: str, schema: str) -> None:
    ws = drive.reactor.workspace_id
    changed = synthetic.build("monitor_breach", ws, schema=schema, run_id="mon-1", status=status)
    completed = synthetic.build("monitor_breach_completed", ws, schema=schema, run_id="mon-1")

    assert keys(drive, changed) == keys(drive, completed)  # keyed by what happens, not by the event
    first, second = drive.deliver(changed, completed)

    assert (first.outcome, second.outcome) == ("handled", "duplicate")
    assert [j["purpose"] for j in drive.workspace.jobs()] == ["retrain"]
    assert [n.template for n in drive.notices()] == ["drift"]


def test_the_twins_from_the_documented_samples_are_one_drift(drive: Driver) -> None:
    outcomes = drive.deliver(
        *load_event("monitor_breach_completed.cloudevents.json"),
        *load_event("monitor_breach_completed.run_completed.eventgrid.json"),
    )
    assert [o.outcome for o in outcomes] == ["handled", "duplicate"]
    assert [n.template for n in drive.notices()] == ["drift"]
    assert drive.notices("run_failed") == []


def test_a_completed_breach_after_the_twin_was_decided_finds_the_effects_done(drive: Driver) -> None:
    ws = drive.reactor.workspace_id
    [first] = drive.deliver(synthetic.build("monitor_breach_completed", ws, run_id="mon-2"))
    [again] = drive.deliver(synthetic.build("monitor_breach", ws, run_id="mon-2", id="another-id"))
    assert first.outcome == "handled" and again.outcome == "duplicate"
    assert len(drive.workspace.jobs()) == 1


def test_a_monitors_own_failure_goes_to_its_owners_not_on_call(drive: Driver) -> None:
    [outcome] = drive.deliver(synthetic.build("monitor_failed", drive.reactor.workspace_id, run_id="mon-3"))
    assert outcome.outcome == "handled"
    assert drive.notices("run_failed") == []
    [notice] = drive.notices("monitor_failed")
    assert notice.channel == "drift"  # the rule names no channels of its own: the drift channels
    assert notice.key == "notify:monitor_failed:mon-3:drift"
    assert notice.facts["Model"] == "credit-risk" and notice.facts["Status"] == "Failed"
    assert drive.workspace.jobs() == []


def test_a_monitor_rule_can_name_its_owners_and_channels(reactor: Reactor) -> None:
    document = reactor.policy.model_dump(mode="json")
    document["channels"]["monitor-owners"] = {"kind": "outbox"}
    document["drift"]["rules"][0] |= {"owners": ["risk-team@contoso.example"], "channels": ["monitor-owners"]}
    reactor.policy = parse_policy(document)
    drive = Driver(reactor)
    drive.deliver(*load_event("monitor_failed.eventgrid.json"))
    [notice] = drive.notices("monitor_failed")
    assert (notice.channel, notice.facts["Owners"]) == ("monitor-owners", "risk-team@contoso.example")


def test_a_monitor_rule_naming_an_unknown_channel_is_a_policy_error(reactor: Reactor) -> None:
    document = reactor.policy.model_dump(mode="json")
    document["drift"]["rules"][0]["channels"] = ["nowhere"]
    with pytest.raises(PolicyError, match=r"drift.rules.0.channels: unknown channel\(s\) nowhere"):
        parse_policy(document)


def test_an_unknown_status_is_ignored_with_a_note_and_kept_out_of_dead_letters(drive: Driver) -> None:
    [outcome] = drive.deliver(synthetic.build("unknown_status", drive.reactor.workspace_id, run_id="r-9"))
    assert outcome.outcome == "ignored"
    assert outcome.notes == ("run r-9 has status 'Hibernating', which this app does not know: ignored",)
    [sample] = drive.deliver(*load_event("bad.unknown_status.json"))
    assert sample.outcome == "ignored"
    assert drive.reactor.store.dead_letters() == [] and drive.notices() == []
