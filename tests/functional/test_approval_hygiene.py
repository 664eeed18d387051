"""Approval hygiene through the whole app: four eyes, 2-of-3, new evidence, expiry, and races on both stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.app import bootstrap
from shared.app.settings import APP_ROOT, Settings
from shared.core.clock import FixedClock
from shared.core.policy import Policy, load_policy, parse_policy
from shared.engine.expiry import expire_approvals, expired_event
from shared.engine.reactor import Reactor
from shared.engine.reconcile import reconcile
from shared.web import http_api
from shared.web.approval_request import request_fresh
from tests.functional.conftest import StoreFactory
from tests.functional.driver import APPROVER, Driver
from tests.functional.races import CallLog, host, retried, to_staging, together
from tests.functional.test_races import fresh

ANA, BO, CY = "ana@contoso.example", "bo@contoso.example", "cy@contoso.example"


def policy(**approval: Any) -> Policy:
    document = load_policy(APP_ROOT / "policy.yaml").model_dump(mode="json")
    rule = document["models"][0]
    rule["approvers"] = [ANA, BO, CY, APPROVER]
    rule["approval"] = {**rule["approval"], **approval}
    return parse_policy(document)


def driver(settings: Settings, clock: FixedClock, **approval: Any) -> Driver:
    return Driver(bootstrap.build(settings, clock=clock, policy=policy(**approval)))


def decide(reactor: Reactor, version: str, by: str, decision: str = "approve") -> tuple[int, Any]:
    fields = {"decision": decision, "approver": by}
    return http_api.decide_approval(reactor, "credit-risk", version, fields, {}, trust_body_identity=True)


def production_requests(drive: Driver) -> list[Any]:
    return [r for r in drive.cd.requests() if r.environment == "production"]


def test_four_eyes_refuses_the_registrant_and_records_why(settings: Settings, clock: FixedClock) -> None:
    drive = driver(settings, clock)
    drive.register(registered_by=ANA.upper())
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    status, body = decide(drive.reactor, "1", ANA)
    assert status == 422 and "four eyes" in body["error"]
    assert drive.stage("1") == "staging" and production_requests(drive) == []
    refused = [e for e in drive.reactor.store.ledger(model="credit-risk", version="1") if e.outcome == "rejected"]
    assert refused and "four eyes" in json.dumps(refused[-1].detail)
    assert decide(drive.reactor, "1", BO)[0] == 200 and drive.stage("1") == "approved"


def test_two_of_three_counts_distinct_people_and_sends_production_once(settings: Settings, clock: FixedClock) -> None:
    drive = driver(settings, clock, required=2, group=[ANA, BO, CY])
    to_staging(drive)
    assert decide(drive.reactor, "1", ANA)[0] == 200
    assert decide(drive.reactor, "1", ANA.upper())[1]["outcome"] == "duplicate"  # a double click: one event id
    again = drive.approve("1", by=ANA.upper())  # another event by the same person: counted once
    assert again.outcome == "ignored" and "counts once (1 of 2)" in again.notes[0]
    assert drive.stage("1") == "staging" and production_requests(drive) == []
    record = drive.reactor.store.get_record("credit-risk", "1")
    assert record is not None and [v["by"] for v in record.approval["votes"]] == [ANA]
    assert [n.title for n in drive.notices("approval_counted")] == [f"credit-risk:1: approval 1 of 2 by {ANA}"]
    assert decide(drive.reactor, "1", BO)[0] == 200
    assert drive.stage("1") == "approved"
    [cd] = production_requests(drive)
    assert cd.approved_by == f"{ANA}, {BO}"
    assert decide(drive.reactor, "1", CY)[0] == 422  # approved already: nothing more to count


def test_a_new_champion_while_waiting_refuses_the_old_request_and_asks_afresh(
    settings: Settings, clock: FixedClock
) -> None:
    drive = driver(settings, clock, required=2, group=[ANA, BO, CY])
    drive.register()
    drive.to_production("1")  # the driver's approver is outside the group: finish it by the group instead
    decide(drive.reactor, "1", ANA), decide(drive.reactor, "1", BO), drive.report("1", "production")
    for version in ("2", "3"):
        drive.register()
        drive.finish("offline_test", auc=0.95, latency_ms=100, champion_auc=0.9)
        drive.report(version, "staging")
    assert decide(drive.reactor, "2", ANA)[0] == 200  # one of two for v2, asked while v1 was the champion
    decide(drive.reactor, "3", ANA), decide(drive.reactor, "3", BO), drive.report("3", "production")
    status, body = decide(drive.reactor, "2", BO)
    assert status == 409 and "champion changed since the request was asked (1 -> 3)" in body["error"]
    assert "1 approval(s) collected were dropped" in body["error"]
    record = drive.reactor.store.get_record("credit-risk", "2")
    assert record is not None and record.stage == "staging" and record.approval["votes"] == []
    asked = [n for n in drive.notices("approval_requested") if n.facts["Model"] == "credit-risk:2"]
    assert len(asked) == 2 and asked[0].key != asked[1].key  # the fresh request has a key of its own
    assert decide(drive.reactor, "2", BO)[0] == 200 and decide(drive.reactor, "2", CY)[0] == 200
    assert drive.stage("2") == "approved"


def test_a_request_expires_once_and_a_fresh_one_is_asked_for(settings: Settings, clock: FixedClock) -> None:
    drive = driver(settings, clock, expiry_hours=24)
    drive.register(registered_by=ANA)
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    assert expire_approvals(drive.reactor, clock.now(), 10) == []  # not due yet
    clock.advance(hours=25)
    [expired] = expire_approvals(drive.reactor, clock.now(), 10)
    assert expired.outcome == "handled"
    notices = drive.notices("approval_expired")
    assert {n.channel for n in notices} == {"approvals", "data-science"}
    assert notices[0].facts["Registered by"] == ANA
    assert expire_approvals(drive.reactor, clock.now(), 10) == []  # nothing left due: a second timer does nothing
    record = drive.reactor.store.get_record("credit-risk", "1")
    assert record is not None and record.approval["expired"] and record.waiting_until is None
    twin = expired_event(drive.reactor.workspace_id, "credit-risk", "1", record.approval["key"], clock.now())
    assert drive.reactor.handle(twin, internal=True).outcome == "duplicate"
    status, body = decide(drive.reactor, "1", BO)
    assert status == 422 and "fresh request" in body["error"] and "request-approval" in body["error"]
    asked = request_fresh(
        drive.reactor,
        "credit-risk",
        "1",
        b'{"approver": "bo@contoso.example"}',
        "application/json",
        {},
        trust_body_identity=True,
    )
    assert asked[0] == 200 and asked[1]["outcome"] == "handled"
    assert decide(drive.reactor, "1", BO)[0] == 200 and drive.stage("1") == "approved"
    assert len(drive.notices("approval_expired")) == 2  # one per channel, once


def test_a_fresh_request_needs_an_identity_and_a_version_in_staging(settings: Settings, clock: FixedClock) -> None:
    drive = driver(settings, clock)
    ask = request_fresh(drive.reactor, "credit-risk", "1", b"", "", {}, trust_body_identity=False)
    assert ask[0] == 401
    bad = request_fresh(
        drive.reactor, "credit-risk", "1", b'{"who": 1}', "application/json", {}, trust_body_identity=True
    )
    assert bad[0] == 400 and "'approver'" in bad[1]["error"]
    unknown = request_fresh(
        drive.reactor, "credit-risk", "9", b'{"approver": "bo"}', "application/json", {}, trust_body_identity=True
    )
    assert unknown[0] == 422 and "only a version in staging" in unknown[1]["error"]


def _group_hosts(tmp_path: Path, n: int, clock: FixedClock, state: StoreFactory) -> tuple[Driver, Driver, CallLog]:
    settings = fresh(tmp_path, n)
    log = CallLog(tmp_path / f"calls-{n}.jsonl")
    folder = tmp_path / f"race-{n}"
    rules = policy(required=2, group=[ANA, BO, CY])
    return (
        Driver(host(settings, clock, log, store=state(folder), policy=rules)),
        Driver(host(settings, clock, log, store=state(folder), policy=rules)),
        log,
    )


@pytest.mark.parametrize("n", range(4))
def test_the_last_approval_and_a_rejection_racing_decide_one_after_the_other(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, b, log = _group_hosts(tmp_path, n, clock, shared_state)
    to_staging(a)
    assert a.approve("1", by=ANA).outcome == "handled"
    approve, reject = together(
        lambda: retried(lambda: a.approve("1", by=BO)), lambda: retried(lambda: b.approve("1", by=CY, reject=True))
    )
    production = log.entries(kind="cd", environment="production")
    assert sorted([approve.outcome, reject.outcome]) == ["handled", "rejected"]
    if a.stage("1") == "rejected":
        assert production == []
    else:
        assert a.stage("1") == "approved" and len(production) == 1


@pytest.mark.parametrize("n", range(4))
def test_two_last_approvals_racing_send_production_once(
    tmp_path: Path, clock: FixedClock, n: int, shared_state: StoreFactory
) -> None:
    a, b, log = _group_hosts(tmp_path, n, clock, shared_state)
    to_staging(a)
    a.approve("1", by=ANA)
    first, second = together(
        lambda: retried(lambda: a.approve("1", by=BO)), lambda: retried(lambda: b.approve("1", by=CY))
    )
    assert sorted([first.outcome, second.outcome]) == ["handled", "rejected"]
    assert a.stage("1") == "approved" and len(log.entries(kind="cd", environment="production")) == 1
    record = a.reactor.store.get_record("credit-risk", "1")
    assert record is not None and len(record.approval["votes"]) == 2


def test_the_page_offers_a_fresh_request_after_expiry_and_its_button_asks_for_one(
    settings: Settings, clock: FixedClock
) -> None:
    from shared.web import approval_page

    drive = driver(settings, clock, expiry_hours=1, required=2, group=[ANA, BO, CY])
    to_staging(drive)
    decide(drive.reactor, "1", ANA)
    _, html = approval_page.render(drive.reactor, "credit-risk", "1")
    assert "<th>Approvals</th><td>1 of 2 from ana@contoso.example, bo@contoso.example" in html
    assert (
        f"<li>{ANA} at 2026-11-22T09:00:00+00:00</li>" in html
        and "<th>Expires</th><td>2026-11-22T10:00:00+00:00" in html
    )
    clock.advance(hours=2)
    expire_approvals(drive.reactor, clock.now(), 10)
    _, html = approval_page.render(drive.reactor, "credit-risk", "1")
    assert "<th>Expires</th><td>expired</td>" in html and "id='renew'" in html and "value='request'" in html
    form = b"approver=bo%40contoso.example&decision=request&comment="
    status, body = http_api.approval_request(
        drive.reactor, "credit-risk", "1", form, "application/x-www-form-urlencoded", {}, trust_body_identity=True
    )
    assert status == 200 and body["outcome"] == "handled"
    _, html = approval_page.render(drive.reactor, "credit-risk", "1")
    assert "id='renew'" not in html and "<th>Approvals</th><td>0 of 2" in html
    record = drive.reactor.store.get_record("credit-risk", "1")
    assert record is not None and record.history[-1]["reason"] == f"fresh approval request asked by {BO}"


def test_four_eyes_asks_the_workspace_who_registered_when_the_event_names_nobody(
    settings: Settings, clock: FixedClock
) -> None:
    drive = driver(settings, clock)
    drive.deliver(drive.workspace.register_model("credit-risk", {}, created_by=CY))
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    record = drive.reactor.store.get_record("credit-risk", "1")
    assert record is not None and record.registered_by is None  # the event did not say
    status, body = decide(drive.reactor, "1", CY.upper())
    assert status == 422 and f"four eyes: {CY.upper()} registered or trained credit-risk:1" in body["error"]
    assert decide(drive.reactor, "1", ANA)[0] == 200 and drive.stage("1") == "approved"


def test_the_reconcile_timer_expires_a_request_past_its_expiry(settings: Settings, clock: FixedClock) -> None:
    drive = driver(settings, clock, expiry_hours=24)
    drive.register(registered_by=ANA)
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    assert not [o for o in reconcile(drive.reactor).outcomes if o.type == "MLOpsReactor.ApprovalExpired"]
    clock.advance(hours=25)
    [expired] = [o for o in reconcile(drive.reactor).outcomes if o.type == "MLOpsReactor.ApprovalExpired"]
    assert expired.outcome == "handled"
    assert not [o for o in reconcile(drive.reactor).outcomes if o.type == "MLOpsReactor.ApprovalExpired"]
    record = drive.reactor.store.get_record("credit-risk", "1")
    assert record is not None and record.approval["expired"]
