"""Bulk redrive of the app's own dead letters: a misconfigured app keeps events, the fixed app redrives them once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.core.config_check import Problem
from shared.core.dead_letters import LetterQuery
from shared.engine.reactor import Reactor
from shared.engine.redrive import redrive
from shared.tools import synthetic
from tests.functional.conftest import StoreFactory

BROKEN = (Problem(path="cd_targets.staging.kind", reason="a local-only kind in Azure mode"),)


def _apps(settings: Settings, clock: FixedClock, shared_state: StoreFactory, tmp_path: Path) -> tuple[Reactor, Reactor]:
    """The same state, first misconfigured, then fixed."""
    broken = bootstrap.build(settings, clock=clock, store=shared_state(tmp_path), problems=BROKEN)
    fixed = bootstrap.build(settings, clock=clock, store=shared_state(tmp_path), problems=())
    return broken, fixed


def _jobs(reactor: Reactor) -> list[dict[str, Any]]:
    return list(reactor.workspace.jobs())  # type: ignore[attr-defined]


def test_dry_run_plans_apply_acts_once_and_a_second_redrive_skips(
    settings: Settings, clock: FixedClock, shared_state: StoreFactory, tmp_path: Path
) -> None:
    broken, fixed = _apps(settings, clock, shared_state, tmp_path)
    for n in range(3):
        event = synthetic.build("model_registered", fixed.workspace_id, model=f"m{n}", version="1", id=f"reg-{n}")
        assert broken.handle(event).outcome == "rejected"
        clock.advance(seconds=60)
    letters = fixed.store.dead_letter_page(LetterQuery()).letters
    assert [(x["event_id"], x["status"]) for x in letters] == [("reg-2", "open"), ("reg-1", "open"), ("reg-0", "open")]

    planned = redrive(fixed, LetterQuery())
    assert planned.dry_run and planned.counts() == {"handled": 3} and _jobs(fixed) == []
    assert {x["status"] for x in fixed.store.dead_letter_page(LetterQuery()).letters} == {"open"}

    first = redrive(fixed, LetterQuery(limit=2), dry_run=False)  # bounded: two letters, and where to go on
    assert [x["event_id"] for x in first.letters] == ["reg-2", "reg-1"] and first.next is not None
    rest = redrive(fixed, LetterQuery(limit=2, cursor=first.next), dry_run=False)
    assert [x["event_id"] for x in rest.letters] == ["reg-0"] and rest.counts() == {"handled": 1}
    assert sorted(j["model"] for j in _jobs(fixed)) == ["m0", "m1", "m2"]
    assert {x["status"] for x in fixed.store.dead_letter_page(LetterQuery()).letters} == {"resolved"}

    again = redrive(fixed, LetterQuery(), dry_run=False)
    assert again.counts() == {"skipped": 3} and len(_jobs(fixed)) == 3
    replayed = fixed.handle_delivery(fixed.store.get_event("reg-0"), internal=True, replayed=True)
    assert [o.outcome for o in replayed] == ["duplicate"] and len(_jobs(fixed)) == 3


def test_a_letter_still_refused_stays_open_and_filters_choose_what_is_redriven(
    settings: Settings, clock: FixedClock, shared_state: StoreFactory, tmp_path: Path
) -> None:
    broken, fixed = _apps(settings, clock, shared_state, tmp_path)
    foreign = synthetic.build("model_registered", fixed.workspace_id.replace("ml-ws", "other-ws"), id="foreign-1")
    assert fixed.handle(foreign).outcome == "rejected"
    clock.advance(seconds=60)
    mine = synthetic.build("run_status_changed", fixed.workspace_id, status="Failed", id="run-1")
    assert broken.handle(mine).outcome == "rejected"
    by_reason = redrive(fixed, LetterQuery(reason="misconfigured"), dry_run=False)
    assert [(x["event_id"], x["outcome"]) for x in by_reason.letters] == [("run-1", "handled")]
    by_type = redrive(fixed, LetterQuery(event_type=foreign["eventType"]), dry_run=False)
    assert [x["outcome"] for x in by_type.letters] == ["rejected"]  # still from another workspace
    status = [(x["event_id"], x["status"]) for x in fixed.store.dead_letter_page(LetterQuery()).letters]
    assert status == [("foreign-1", "open"), ("run-1", "resolved"), ("foreign-1", "superseded")]
    again = redrive(fixed, LetterQuery(), dry_run=False)  # one attempt per event, on its newest letter
    assert again.counts() == {"rejected": 1, "skipped": 2}
    assert len(fixed.store.dead_letter_page(LetterQuery(status="open")).letters) == 1


def test_one_event_is_redriven_once_per_page_and_a_failed_effect_is_left_to_a_forced_replay(
    reactor: Reactor, clock: FixedClock
) -> None:
    from tests.contract.test_store_contract import LEASE, commit, finish, intent

    c = commit("done-badly", intent("cd:m:1"))
    reactor.store.commit(c, clock.now(), LEASE)
    reactor.store.finish(finish(c, outcome="failed", dead="CD did not answer"))
    reactor.store.reject("x", "T", {"id": "x"}, "refused", "2026-11-22T09:00:00+00:00")
    reactor.store.reject("x", "T", {"id": "x"}, "refused again", "2026-11-22T09:01:00+00:00")
    done = redrive(reactor, LetterQuery())
    outcomes = {(x["event_id"], x["outcome"].split(":")[0]) for x in done.letters}
    assert outcomes == {("x", "rejected"), ("x", "skipped"), ("done-badly", "skipped")}
    [failed] = [x for x in done.letters if x["event_id"] == "done-badly"]
    assert failed["status"] == "failed" and "force" in failed["outcome"]
