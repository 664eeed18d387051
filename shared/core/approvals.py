"""Pure approval hygiene: requests tied to their evidence, four eyes, N-of-M votes, expiry, fresh requests.

An approval request lives on the staging record (`record.approval`): its key, when it was asked, the evidence it
was asked on (the champion and the offline test job), the approvals collected, and whether it expired; the
record's `waiting_until` is its expiry. A decision is checked against the request and the evidence as loaded now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.core import events as ev
from shared.core.actions import RequestApproval, TriggerCD
from shared.core.errors import GateViolation
from shared.core.lifecycle import Amend, ModelVersionRecord, Stage, Transition
from shared.core.plan import Context, Plan, approval_url, champion_of, notices_for, stage_tag
from shared.core.policy import ModelRule, Policy


def fresh_hint(model: str, version: str) -> str:
    """How a person gets a fresh approval request."""
    return (
        f"python -m shared request-approval {model}:{version}, or POST /api/approvals/{model}/{version}/request "
        "(the page's 'Ask for a fresh request')"
    )


@dataclass(frozen=True, kw_only=True)
class Request:
    """The open approval request of a staging record, as stored in `record.approval`."""

    key: str = ""  # empty: staged before requests were recorded (no evidence to compare, no expiry)
    asked_at: str = ""
    champion: str | None = None
    evidence: str | None = None
    votes: tuple[Mapping[str, str], ...] = ()
    expired: bool = False

    @classmethod
    def of(cls, record: ModelVersionRecord) -> Request:
        """The request stored on a record (an empty one for a record staged before requests were recorded)."""
        a = record.approval
        return cls(
            key=str(a.get("key", "")),
            asked_at=str(a.get("asked_at", "")),
            champion=a.get("champion"),
            evidence=a.get("evidence"),
            votes=tuple(a.get("votes", ())),
            expired=bool(a.get("expired", False)),
        )

    def stored(self, **changes: Any) -> dict[str, Any]:
        """The request as the record keeps it, with `changes`."""
        view = {
            "key": self.key,
            "asked_at": self.asked_at,
            "champion": self.champion,
            "evidence": self.evidence,
            "votes": [dict(v) for v in self.votes],
            "expired": self.expired,
        }
        return {**view, **changes}

    def voted(self, who: str) -> bool:
        """Whether this person approved already (identities match case-insensitively)."""
        return any(same(v.get("by", ""), who) for v in self.votes)


def stamp(when: datetime) -> str:
    """A time as requests and expiries are kept and compared: UTC, ISO, to the second."""
    return when.astimezone(UTC).isoformat(timespec="seconds")


def same(a: str, b: str) -> bool:
    """One identity, whatever the case and surrounding blanks."""
    return a.strip().lower() == b.strip().lower()


def _member(who: str, people: tuple[str, ...]) -> bool:
    return any(same(who, p) for p in people)


def expiry_of(ctx: Context, rule: ModelRule) -> str | None:
    """When a request asked now expires (ISO, seconds), or None when the rule sets no expiry."""
    hours = rule.approval.expiry_hours
    return stamp(ctx.now + timedelta(hours=hours)) if hours else None


def ask(ctx: Context, rule: ModelRule, record: ModelVersionRecord, note: str, by: str | None = None) -> Plan:
    """A new approval request for a staging version: recorded on it (votes dropped), sent under a new key."""
    model, version, key = record.model, record.version, record.key
    champion = champion_of(ctx, model)
    request = Request(
        key=f"approval:{key}:{len(record.history)}",
        asked_at=stamp(ctx.now),
        champion=champion.version if champion else None,
        evidence=record.test_job,
    )
    expires = expiry_of(ctx, rule)
    details = {
        "Approvals needed": f"{rule.approval.required}"
        + (f" from {', '.join(rule.approval.group)}" if rule.approval.group else ""),
        "Evidence": f"offline test {record.test_job or '-'}; champion {request.champion or 'none'}",
        "Expires": expires or "never",
    }
    action = RequestApproval(
        key=request.key,
        model=model,
        version=version,
        approvers=rule.approval.group or rule.approvers,
        channels=rule.notify.approval,
        url=approval_url(ctx, model, version),
        details=details,
    )
    change = Amend(model=model, version=version, note=note, approval=request.stored(), waiting_until=expires, by=by)
    return Plan(actions=(action,), amends=(change,))


def stale(record: ModelVersionRecord, request: Request, ctx: Context) -> str | None:
    """Why the evidence a request was asked on no longer holds (a new champion, a re-run gate), or None."""
    if not request.key:
        return None
    champion = champion_of(ctx, record.model)
    now = champion.version if champion else None
    if now != request.champion:
        return f"the champion changed since the request was asked ({request.champion or 'none'} -> {now or 'none'})"
    if record.test_job != request.evidence:
        return (
            f"the gate was re-run since the request was asked ({request.evidence or '-'} -> {record.test_job or '-'})"
        )
    return None


def on_approval(event: Any, ctx: Context, policy: Policy) -> Plan:
    """A human decision on a staging version: one vote of N, or a rejection; refused when the hygiene says so."""
    e: ev.ApprovalDecided = event
    key = f"{e.model}:{e.version}"
    record = ctx.records.get(key)
    if record is None or record.stage is not Stage.STAGING:
        raise GateViolation(f"{key} is {_stage_and_who(record)}: only a version in staging can be approved or rejected")
    rule = policy.rule_for(e.model, record.tags)
    if rule.approvers and not _member(e.approver, rule.approvers):
        raise GateViolation(
            f"{e.approver} may not decide on {key}: the policy's approvers are {', '.join(rule.approvers)}"
        )
    request = Request.of(record)
    if request.expired:
        raise GateViolation(
            f"the approval request for {key} expired: a decision needs a fresh request "
            f"({fresh_hint(e.model, e.version)})"
        )
    if rule.approval.invalidate_on_new_evidence and (why := stale(record, request, ctx)):
        return _renewed(ctx, rule, record, request, why, e.approver)
    if not e.approved:
        return _rejected(e, record, rule)
    registrant = record.registered_by or ctx.registrant
    if rule.approval.four_eyes and registrant and same(e.approver, registrant):
        raise GateViolation(f"four eyes: {e.approver} registered or trained {key}, so another person must approve it")
    if rule.approval.group and not _member(e.approver, rule.approval.group):
        raise GateViolation(
            f"{e.approver} is not in {key}'s approval group ({', '.join(rule.approval.group)}): only its members count"
        )
    required = rule.approval.required
    if request.voted(e.approver):
        return Plan(
            ignored=f"{e.approver} approved {key} already: each person counts once ({len(request.votes)} of {required})"
        )
    votes = (*request.votes, {"by": e.approver, "at": stamp(ctx.now), "comment": e.comment})
    if len(votes) < required:
        return _counted(record, rule, request, votes, e.approver)
    return _approved(e, record, rule, request, votes)


def _counted(
    record: ModelVersionRecord, rule: ModelRule, request: Request, votes: tuple[Mapping[str, str], ...], by: str
) -> Plan:
    """An approval short of the required count: recorded, the version waits in staging for the rest."""
    required, key = rule.approval.required, record.key
    note = f"approval {len(votes)} of {required} by {by}"
    change = Amend(
        model=record.model,
        version=record.version,
        note=note,
        approval=request.stored(votes=[dict(v) for v in votes]),
        waiting_until=record.waiting_until,
        by=by,
    )
    facts = {"Model": key, "Approved by": ", ".join(v["by"] for v in votes), "Still needed": str(required - len(votes))}
    about = f"{key}:{request.key}:{len(votes)}"
    notices = notices_for(about, rule.notify.approval, "approval_counted", f"{key}: {note}", facts)
    return Plan(actions=notices, amends=(change,), notes=(f"{note}; {required - len(votes)} more needed",))


def _approved(
    e: ev.ApprovalDecided,
    record: ModelVersionRecord,
    rule: ModelRule,
    request: Request,
    votes: tuple[Mapping[str, str], ...],
) -> Plan:
    """The last approval needed: approved, and CD to production (once: its key is the version's)."""
    key = record.key
    by = ", ".join(v["by"] for v in votes)
    required = rule.approval.required
    reason = "human approval" if required == 1 else f"human approval ({required} of {required})"
    step = Transition(model=e.model, version=e.version, to=Stage.APPROVED, reason=reason, by=by)
    cd = TriggerCD(
        key=f"cd:{key}:production",
        environment="production",
        target=rule.cd.production,
        model=e.model,
        version=e.version,
        approved_by=by,
    )
    facts = {"Model": key, "Decision": "approved", "By": by, "Comment": e.comment or "-"}
    notices = notices_for(key, rule.notify.promoted, "approved", f"{key} approved by {by}", facts)
    keep = Amend(model=e.model, version=e.version, note="", approval=request.stored(votes=[dict(v) for v in votes]))
    return Plan(
        actions=(cd, stage_tag(record, e.model, e.version, Stage.APPROVED), *notices),
        transitions=(step,),
        amends=(keep,),
    )


def _rejected(e: ev.ApprovalDecided, record: ModelVersionRecord, rule: ModelRule) -> Plan:
    """A rejection by any allowed approver rejects the version, whatever approvals were collected."""
    key = record.key
    facts = {"Model": key, "Decision": "rejected", "By": e.approver, "Comment": e.comment or "-"}
    step = Transition(model=e.model, version=e.version, to=Stage.REJECTED, reason="human rejection", by=e.approver)
    notices = notices_for(
        f"{key}:{len(record.history)}",
        rule.notify.verdict,
        "approval_rejected",
        f"{key} rejected by {e.approver}",
        facts,
    )
    return Plan(actions=(stage_tag(record, e.model, e.version, Stage.REJECTED), *notices), transitions=(step,))


def _renewed(ctx: Context, rule: ModelRule, record: ModelVersionRecord, request: Request, why: str, who: str) -> Plan:
    """A decision on a request whose evidence changed: refused, the votes dropped, the approvers asked afresh."""
    dropped = len(request.votes)
    fresh = ask(ctx, rule, record, f"approval request renewed: {why}")
    refusal = (
        f"the decision of {who} on {record.key} was refused: {why}; "
        f"{dropped} approval(s) collected were dropped and a fresh request was sent"
    )
    return Plan(actions=fresh.actions, amends=fresh.amends, violation=refusal)


def on_expired(event: Any, ctx: Context, policy: Policy) -> Plan:
    """A timer says a request is past its expiry: mark it expired, tell the approvers and the registrant."""
    e: ev.ApprovalExpired = event
    key = f"{e.model}:{e.version}"
    record = ctx.records.get(key)
    if record is None or record.stage is not Stage.STAGING:
        return Plan(ignored=f"{key} is not waiting for approval (stage {record.stage if record else 'unknown'})")
    request = Request.of(record)
    if request.key != e.request or request.expired:
        return Plan(ignored=f"the approval request {e.request} of {key} is no longer open: nothing expires")
    due = record.waiting_until
    if not due or due > stamp(ctx.now):
        return Plan(ignored=f"the approval request {e.request} of {key} is not due (expires {due or 'never'})")
    rule = policy.rule_for(record.model, record.tags)
    collected = ", ".join(v.get("by", "") for v in request.votes) or "none"
    note = f"approval request expired (asked {request.asked_at}; approvals collected: {collected})"
    change = Amend(model=e.model, version=e.version, note=note, approval=request.stored(expired=True))
    facts = {
        "Model": key,
        "Asked at": request.asked_at,
        "Expired at": due,
        "Approvals collected": f"{len(request.votes)} of {rule.approval.required} ({collected})",
        "Registered by": record.registered_by or "-",
        "Next": f"ask for a fresh request: {fresh_hint(e.model, e.version)}",
    }
    channels = tuple(dict.fromkeys((*rule.notify.approval, *rule.notify.verdict)))
    notices = notices_for(e.request, channels, "approval_expired", f"Approval request for {key} expired", facts)
    return Plan(actions=notices, amends=(change,))


def on_requested(event: Any, ctx: Context, policy: Policy) -> Plan:
    """A person asks for a fresh request: granted when none is open (expired, or its evidence changed)."""
    e: ev.ApprovalRequested = event
    key = f"{e.model}:{e.version}"
    record = ctx.records.get(key)
    if record is None or record.stage is not Stage.STAGING:
        raise GateViolation(f"{key} is {_stage_and_who(record)}: only a version in staging can be asked for approval")
    rule = policy.rule_for(record.model, record.tags)
    request = Request.of(record)
    if request.key and not request.expired and not stale(record, request, ctx):
        until = record.waiting_until or "no expiry"
        return Plan(ignored=f"the approval request {request.key} of {key} is still open ({until}): no fresh one needed")
    return ask(ctx, rule, record, f"fresh approval request asked by {e.by}", e.by)


def _stage_and_who(record: ModelVersionRecord | None) -> str:
    """A version's stage, with who took it there when a person did ("rejected by ...")."""
    if record is None:
        return "unknown"
    last = record.history[-1] if record.history else {}
    by = last.get("by") if last.get("to") == str(record.stage) else None
    return f"already {record.stage} by {by}" if by else str(record.stage)
