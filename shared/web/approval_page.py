"""The approval page: a small HTML form, readable on a phone, that works without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from shared.core.gate import evaluate
from shared.core.lifecycle import ModelVersionRecord
from shared.core.payload import clean_text
from shared.core.policy import Gate
from shared.engine.reactor import Reactor
from shared.web.approval_status import request_section

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:42rem;margin:0 auto;padding:.5rem 1rem;line-height:1.4}"
    "h1{font-size:1.4rem;word-break:break-all}h2{font-size:1.1rem;margin-top:1.5rem}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left}"
    ".stage{display:inline-block;padding:.1rem .6rem;border-radius:1rem;background:#e8eefc;font-weight:600}"
    ".pass{color:#176a2c}.fail{color:#a4161a}.error{background:#fde8e8;padding:.6rem;border-radius:.4rem}"
    "label{display:block;margin-top:.8rem}input,textarea{width:100%;box-sizing:border-box;font-size:1rem;"
    "padding:.4rem}button{font-size:1.1rem;padding:.6rem 1.2rem;margin:.8rem .6rem 0 0;border-radius:.4rem;"
    "border:1px solid #888}button[value=approve]{background:#176a2c;color:#fff}"
    "button[value=reject]{background:#fff;color:#a4161a}"
)


def render(
    reactor: Reactor,
    model: str,
    version: str,
    *,
    ask_name: bool = True,
    signed_in: str | None = None,
    error: str | None = None,
) -> tuple[int, str]:
    """(status, html) for GET /api/approvals/{model}/{version}; everything from events is escaped."""
    model, version = clean_text(model), clean_text(version)  # a route may carry any code point
    record = reactor.store.get_record(model, version)
    title = f"{model}:{version}"
    if record is None:
        return 404, _page(title, f"<p>No model version {escape(title)} is known to MLOps Reactor.</p>")
    rule = reactor.policy.rule_for(model, record.tags)
    by = f" &mdash; approved by {escape(record.approved_by)}" if record.approved_by else ""
    body = (
        f"{_error(error)}<p>Stage: <span class='stage' id='stage'>{escape(str(record.stage))}</span>{by}</p>"
        f"<p>Approvers: {escape(', '.join(rule.approvers) or 'anyone signed in')}</p>"
        f"{request_section(reactor.store, rule, record, ask_name, signed_in)}"
        f"{_gate(rule.gate, record.metrics)}{_links(reactor.workspace_id, record)}{_history(record)}"
        f"{_form(record, ask_name, signed_in)}"
    )
    return 200, _page(title, body)


def after_decision(
    reactor: Reactor, model: str, version: str, answer: tuple[int, Any], *, ask_name: bool, signed_in: str | None
) -> tuple[int, str] | None:
    """None when a form's decision was recorded (show the page again); else the page with the error."""
    status, body = answer
    error = body.get("error") if isinstance(body, Mapping) else None
    if status < 400 and not error:
        return None
    page_status, page = render(
        reactor, model, version, ask_name=ask_name, signed_in=signed_in, error=str(error or body)
    )
    return (status if status >= 400 else 409) if page_status == 200 else page_status, page


def _error(error: str | None) -> str:
    return f"<p class='error' role='alert'>Not recorded: {escape(error)}</p>" if error else ""


def _gate(gate: Gate, metrics: Mapping[str, float]) -> str:
    if not metrics:
        return "<h2>Offline test</h2><p>No offline test result yet.</p>"
    prefix = gate.champion_prefix
    names = sorted(k for k in metrics if not k.startswith(prefix))
    rows = "".join(
        f"<tr><td>{escape(n)}</td><td>{metrics[n]:g}</td><td>{_value(metrics.get(prefix + n))}</td></tr>" for n in names
    )
    verdict = evaluate(gate, metrics)
    checks = "".join(
        f"<li class='{'pass' if c.startswith('PASS') else 'fail'}'>{escape(c)}</li>" for c in verdict.checks
    )
    word = "passed" if verdict.passed else "failed"
    return (
        f"<h2>Offline test: gate {word}</h2><div class='scroll'><table id='metrics'><tr><th>metric</th>"
        f"<th>this version</th><th>champion</th></tr>{rows}</table></div><ul id='checks'>{checks}</ul>"
    )


def _value(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:g}"


def _links(workspace_id: str, record: ModelVersionRecord) -> str:
    if not record.test_job:
        return ""
    url = f"https://ml.azure.com/runs/{quote(record.test_job)}?wsid={quote(workspace_id)}"
    return (
        f"<h2>Runs</h2><ul><li><a href='{escape(url)}' rel='noopener noreferrer'>Offline test "
        f"{escape(record.test_job)} in Azure ML studio</a></li></ul>"
    )


def _history(record: ModelVersionRecord) -> str:
    items = []
    for step in record.history:
        when = str(step.get("at", ""))[:16].replace("T", " ")
        by = f", by {step['by']}" if step.get("by") else ""
        env = f" <span class='env'>[{escape(str(step['env']))}]</span>" if step.get("env") else ""
        items.append(
            f"<li>{escape(when)}{env}: {escape(str(step.get('from')))} &rarr; {escape(str(step.get('to')))} "
            f"({escape(str(step.get('reason', '')) + by)})</li>"
        )
    return f"<h2>History</h2><ul>{''.join(items)}</ul>"


def _form(record: ModelVersionRecord, ask_name: bool, signed_in: str | None) -> str:
    if record.stage != "staging":
        return "<p>Only a version in staging can be approved or rejected.</p>"
    who = (
        f"<p>Signed in as {escape(signed_in)}.</p>"
        if signed_in
        else "<label>Your name or email <input name='approver' autocomplete='email' required></label>"
        if ask_name
        else "<p class='error'>Sign in to approve: the decision records who made it.</p>"
    )
    return (
        "<h2>Decision</h2><form method='post'>"
        + who
        + "<label>Comment <textarea name='comment' rows='3'></textarea></label>"
        "<button type='submit' name='decision' value='approve'>Approve</button>"
        "<button type='submit' name='decision' value='reject'>Reject</button></form>"
    )


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Approve {escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
