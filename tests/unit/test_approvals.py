"""Approval hygiene, pure: four eyes, N-of-M, evidence, expiry, fresh requests; each rule's decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.app.settings import APP_ROOT
from shared.core import events as ev
from shared.core.actions import RequestApproval, TriggerCD
from shared.core.approvals import Request
from shared.core.decide import Context, decide
from shared.core.errors import GateViolation, InvalidEvent, PolicyError
from shared.core.lifecycle import ModelVersionRecord, Stage, amend
from shared.core.plan import Plan
from shared.core.policy import Policy, load_policy, parse_policy

BASE = load_policy(APP_ROOT / "policy.yaml")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
GROUP = ["ana@contoso.example", "bo@contoso.example", "cy@contoso.example"]


def policy(**approval: Any) -> Policy:
    document = BASE.model_dump(mode="json")
    rule = document["models"][0]
    rule["approvers"] = [*GROUP, "ml-lead@contoso.example"]
    rule["approval"] = {**rule["approval"], **approval}
    return parse_policy(document)


def staged(
    *, registered_by: str | None = None, votes: tuple[dict[str, str], ...] = (), champion: str | None = None
) -> ModelVersionRecord:
    request = Request(key="approval:m:2:2", asked_at="2026-11-22T08:00:00+00:00", champion=champion, evidence="t2")
    return ModelVersionRecord(
        model="m",
        version="2",
        stage=Stage.STAGING,
        gate_passed=True,
        test_job="t2",
        registered_by=registered_by,
        approval=request.stored(votes=list(votes)),
        waiting_until="2026-11-29T08:00:00+00:00",
        history=({}, {}, {}),
    )


def champion(version: str = "1") -> ModelVersionRecord:
    return ModelVersionRecord(model="m", version=version, stage=Stage.PRODUCTION, gate_passed=True, approved_by="x")


def ctx(*records: ModelVersionRecord, now: datetime = NOW) -> Context:
    return Context(now=now, workspace_id="/ws", public_url="https://app", records={r.key: r for r in records})


def decision(by: str, approved: bool = True) -> ev.ApprovalDecided:
    return ev.ApprovalDecided(
        id="a", type=ev.APPROVAL_DECIDED, source="/ws", model="m", version="2", approved=approved, approver=by
    )


def approve(by: str, *records: ModelVersionRecord, rules: Policy | None = None, approved: bool = True) -> Plan:
    return decide(decision(by, approved), ctx(*records), rules or policy())


def test_four_eyes_refuses_the_registrant_whatever_the_case() -> None:
    with pytest.raises(GateViolation, match=r"four eyes: ANA@contoso\.example registered or trained m:2"):
        approve("ANA@contoso.example", staged(registered_by="ana@Contoso.example"))


def test_four_eyes_lets_another_person_approve_and_can_be_turned_off() -> None:
    plan = approve("bo@contoso.example", staged(registered_by="ana@contoso.example"))
    assert [t.to for t in plan.transitions] == [Stage.APPROVED]
    relaxed = approve("ana@contoso.example", staged(registered_by="ana@contoso.example"), rules=policy(four_eyes=False))
    assert [t.to for t in relaxed.transitions] == [Stage.APPROVED]


def test_a_registrant_may_still_reject_their_own_version() -> None:
    plan = approve("ana@contoso.example", staged(registered_by="ana@contoso.example"), approved=False)
    assert [t.to for t in plan.transitions] == [Stage.REJECTED]


def test_two_of_three_records_the_first_approval_and_waits_in_staging() -> None:
    plan = approve("ana@contoso.example", staged(), rules=policy(required=2, group=GROUP))
    assert not plan.transitions and not any(isinstance(a, TriggerCD) for a in plan.actions)
    [change] = plan.amends
    assert [v["by"] for v in change.approval["votes"]] == ["ana@contoso.example"]
    assert change.note == "approval 1 of 2 by ana@contoso.example"
    assert change.waiting_until == "2026-11-29T08:00:00+00:00"  # the request keeps its expiry


def test_the_second_distinct_approval_triggers_production_once_with_both_names() -> None:
    first = {"by": "ana@contoso.example", "at": "x", "comment": ""}
    plan = approve("bo@contoso.example", staged(votes=(first,)), rules=policy(required=2, group=GROUP))
    [cd] = [a for a in plan.actions if isinstance(a, TriggerCD)]
    assert cd.key == "cd:m:2:production" and cd.approved_by == "ana@contoso.example, bo@contoso.example"
    [step] = plan.transitions
    assert step.to is Stage.APPROVED and step.reason == "human approval (2 of 2)"


def test_the_same_approver_twice_counts_once() -> None:
    first = {"by": "ana@contoso.example", "at": "x", "comment": ""}
    plan = approve("Ana@Contoso.example", staged(votes=(first,)), rules=policy(required=2, group=GROUP))
    assert plan.ignored and "counts once (1 of 2)" in plan.ignored
    assert not plan.actions and not plan.amends and not plan.transitions


def test_an_approver_outside_the_group_does_not_count() -> None:
    with pytest.raises(GateViolation, match="not in m:2's approval group"):
        approve("ml-lead@contoso.example", staged(), rules=policy(required=2, group=GROUP))


def test_a_rejection_by_any_allowed_approver_rejects_despite_approvals() -> None:
    first = {"by": "ana@contoso.example", "at": "x", "comment": ""}
    plan = approve(
        "ml-lead@contoso.example", staged(votes=(first,)), rules=policy(required=2, group=GROUP), approved=False
    )
    assert [t.to for t in plan.transitions] == [Stage.REJECTED]


def test_a_new_champion_since_the_request_refuses_drops_votes_and_asks_afresh() -> None:
    first = {"by": "ana@contoso.example", "at": "x", "comment": ""}
    record = staged(votes=(first,), champion="1")
    plan = approve("bo@contoso.example", record, champion("9"), rules=policy(required=2, group=GROUP))
    assert plan.violation and "champion changed" in plan.violation and "1 approval(s)" in plan.violation
    assert not plan.transitions
    [request] = [a for a in plan.actions if isinstance(a, RequestApproval)]
    assert request.key == "approval:m:2:3" != record.approval["key"]  # keyed by the history: a new key each time
    [change] = plan.amends
    assert change.approval["votes"] == [] and change.approval["champion"] == "9"


def test_a_rerun_gate_since_the_request_invalidates_it_unless_turned_off() -> None:
    record = staged(champion="1")
    rerun = amend(record, _same(record, evidence="t1"), "at")  # asked on an older test job
    plan = approve("bo@contoso.example", rerun, champion("1"))
    assert plan.violation and "gate was re-run" in plan.violation
    kept = approve("bo@contoso.example", rerun, champion("1"), rules=policy(invalidate_on_new_evidence=False))
    assert [t.to for t in kept.transitions] == [Stage.APPROVED]


def test_an_expired_request_refuses_decisions_and_says_how_to_get_a_fresh_one() -> None:
    record = staged()
    expired = amend(record, _same(record, expired=True), "at")
    with pytest.raises(GateViolation, match=r"expired: a decision needs a fresh request.*request-approval"):
        approve("bo@contoso.example", expired)


def test_expiry_marks_the_request_and_tells_approvers_and_the_registrant() -> None:
    record = staged(registered_by="ana@contoso.example")
    due = NOW + timedelta(days=8)
    event = ev.ApprovalExpired(
        id="e", type=ev.APPROVAL_EXPIRED, source="/ws", model="m", version="2", request="approval:m:2:2"
    )
    plan = decide(event, ctx(record, now=due), policy())
    [change] = plan.amends
    assert change.approval["expired"] is True and change.waiting_until is None
    notices = {a.channel: a for a in plan.actions}
    assert set(notices) == {"approvals", "data-science"}
    assert notices["approvals"].facts["Registered by"] == "ana@contoso.example"
    assert notices["approvals"].key == "notify:approval_expired:approval:m:2:2:approvals"


def test_expiry_before_it_is_due_or_of_an_old_request_changes_nothing() -> None:
    record = staged()
    early = ev.ApprovalExpired(
        id="e", type=ev.APPROVAL_EXPIRED, source="/ws", model="m", version="2", request="approval:m:2:2"
    )
    assert decide(early, ctx(record), policy()).ignored
    old = ev.ApprovalExpired(
        id="e", type=ev.APPROVAL_EXPIRED, source="/ws", model="m", version="2", request="approval:m:2:0"
    )
    assert "no longer open" in (decide(old, ctx(record, now=NOW + timedelta(days=9)), policy()).ignored or "")


def test_a_fresh_request_is_granted_only_when_none_is_open() -> None:
    record = staged()
    asked = ev.ApprovalRequested(id="r", type=ev.APPROVAL_REQUESTED, source="/ws", model="m", version="2", by="bo")
    assert "still open" in (decide(asked, ctx(record), policy()).ignored or "")
    expired = amend(record, _same(record, expired=True), "at")
    plan = decide(asked, ctx(expired), policy())
    [request] = plan.actions
    assert isinstance(request, RequestApproval) and request.key == "approval:m:2:4"
    assert plan.amends[0].waiting_until == "2026-11-29T09:00:00+00:00"
    assert request.details["Expires"] == "2026-11-29T09:00:00+00:00"


def test_staging_asks_with_its_evidence_and_expiry_on_the_record() -> None:
    candidate = ModelVersionRecord(model="m", version="2", stage=Stage.CANDIDATE, gate_passed=True, test_job="t2")
    report = ev.DeploymentReported(
        id="d", type=ev.DEPLOYMENT_REPORTED, source="/ws", model="m", version="2", environment="staging"
    )
    plan = decide(report, ctx(candidate, champion("1")), policy(expiry_hours=0, required=2, group=GROUP))
    [request] = [a for a in plan.actions if isinstance(a, RequestApproval)]
    assert request.key == "approval:m:2:0" and request.approvers == tuple(GROUP)
    assert request.details["Approvals needed"].startswith("2 from ana@")
    [change] = plan.amends
    assert change.approval["champion"] == "1" and change.approval["evidence"] == "t2"
    assert change.waiting_until is None and change.note == ""  # no expiry configured; no extra history line


def test_a_record_staged_before_requests_were_recorded_is_still_approvable() -> None:
    legacy = ModelVersionRecord(model="m", version="2", stage=Stage.STAGING, gate_passed=True)
    plan = approve("bo@contoso.example", legacy, champion("7"))
    assert [t.to for t in plan.transitions] == [Stage.APPROVED]


def test_the_registration_names_who_registered_it_from_tags_or_properties() -> None:
    data = {"modelName": "m", "modelVersion": "2", "modelTags": {}, "modelProperties": {"CreatedBy": " ana "}}
    raw = {
        "id": "1",
        "eventType": ev.MODEL_REGISTERED,
        "topic": "/ws",
        "subject": "s",
        "eventTime": "2026-01-01T00:00:00Z",
        "data": data,
    }
    event = ev.parse(raw)
    assert isinstance(event, ev.ModelRegistered) and event.registered_by == "ana"


def test_the_policy_refuses_an_unreachable_count_or_a_group_outside_the_approvers() -> None:
    with pytest.raises(PolicyError, match="required"):
        policy(required=4, group=GROUP)
    with pytest.raises(PolicyError, match="not among the approvers"):
        policy(group=["eve@contoso.example"])


def _same(record: ModelVersionRecord, **changes: Any) -> Any:
    from shared.core.lifecycle import Amend

    return Amend(
        model=record.model,
        version=record.version,
        note="test",
        approval={**record.approval, **changes},
        waiting_until=None if changes.get("expired") else record.waiting_until,
    )


def _internal(kind: str, **data: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": "i", "type": kind, "source": "/ws", "data": data}


def test_our_approval_events_come_only_from_inside_and_name_a_missing_field() -> None:
    expired = _internal(ev.APPROVAL_EXPIRED, model="m", version=2, request="approval:m:2:2")
    assert isinstance(ev.parse(expired), ev.Ignored)  # never from Event Grid
    parsed = ev.parse(expired, internal=True)
    assert isinstance(parsed, ev.ApprovalExpired) and parsed.version == "2" and parsed.request == "approval:m:2:2"
    with pytest.raises(InvalidEvent) as missing:
        ev.parse(_internal(ev.APPROVAL_EXPIRED, model="m", version="2"), internal=True)
    assert missing.value.field == "request"
    with pytest.raises(InvalidEvent) as nobody:
        ev.parse(_internal(ev.APPROVAL_REQUESTED, model="m", version="2"), internal=True)
    assert nobody.value.field == "by"


def test_a_v1_staging_deployment_records_the_request_too() -> None:
    candidate = ModelVersionRecord(model="m", version="2", stage=Stage.CANDIDATE, gate_passed=True, test_job="t2")
    deployed = ev.ModelDeployed(id="d", type=ev.MODEL_DEPLOYED, source="/ws", service="m-staging", models=(("m", "2"),))
    plan = decide(deployed, ctx(candidate), policy())
    [change] = plan.amends
    assert change.approval["key"] == "approval:m:2:0" and change.waiting_until == "2026-11-29T09:00:00+00:00"
