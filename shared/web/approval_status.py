"""The approval page's request section: approvals collected (N of M), who, the evidence, the expiry; all escaped."""

from __future__ import annotations

from html import escape

from shared.core.approvals import Request
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy import ModelRule
from shared.core.store import Store


def request_section(
    store: Store, rule: ModelRule, record: ModelVersionRecord, ask_name: bool, signed_in: str | None
) -> str:
    """The open request of a staging version (or the last one of a decided version); empty when none is recorded."""
    if not record.approval:
        return ""
    request = Request.of(record)
    champions = store.records(record.model, str(Stage.PRODUCTION))
    now = champions[0].version if champions else None
    group = f" from {', '.join(rule.approval.group)}" if rule.approval.group else ""
    voters = "".join(f"<li>{escape(v.get('by', ''))} at {escape(v.get('at', ''))}</li>" for v in request.votes)
    rows: tuple[tuple[str, str], ...] = (
        ("Approvals", f"{len(request.votes)} of {rule.approval.required}{group}"),
        ("Asked at", request.asked_at or "-"),
        ("Expires", "expired" if request.expired else record.waiting_until or "never"),
        ("Offline test", f"{request.evidence or '-'} (now {record.test_job or '-'})"),
        ("Champion", f"{request.champion or 'none'} when asked (now {now or 'none'})"),
        ("Registered by", record.registered_by or "unknown"),
    )
    if record.history and record.history[0].get("env"):  # dev / test / prd: where the version came from
        rows += (("Registered in", str(record.history[0]["env"])),)
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    body = f"<h2>Approval request</h2><table id='request'>{table}</table><ul id='approvals'>{voters}</ul>"
    if record.stage is not Stage.STAGING:
        return body
    changed = request.key and (now != request.champion or record.test_job != request.evidence)
    if request.expired or changed:
        why = "This request expired" if request.expired else "The evidence changed since this request was asked"
        body += f"<p class='error' id='renew'>{why}: a decision needs a fresh request.</p>{_ask(ask_name, signed_in)}"
    return body


def _ask(ask_name: bool, signed_in: str | None) -> str:
    who = (
        ""
        if signed_in or not ask_name
        else "<label>Your name or email <input name='approver' autocomplete='email' required></label>"
    )
    return (
        f"<form method='post'>{who}"
        "<button type='submit' name='decision' value='request'>Ask for a fresh request</button></form>"
    )
