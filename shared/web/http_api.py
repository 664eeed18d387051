"""What each HTTP endpoint does, apart from Azure Functions: request pieces in, (status, body) out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from shared.core import events as ev
from shared.core.dead_letters import BadQuery
from shared.core.event_fields import canonical_version
from shared.core.ledger_pages import ledger_query_from
from shared.core.payload import BadBody, clean_text, loads
from shared.engine.reactor import Reactor
from shared.web.answers import MAX_BODY_BYTES, PRINCIPAL_HEADER, Response, answer, flag, internal_event, safely
from shared.web.approval_request import fresh_from_fields
from shared.web.inputs import approval_body, approval_fields


def replay(reactor: Reactor, raw: bytes, params: Mapping[str, str], *, max_bytes: int = MAX_BODY_BYTES) -> Response:
    """POST /api/replay: a delivery, {"events": ...} or {"event_id": ...}; dry-run unless dry_run=false."""

    def run() -> Response:
        body = loads(raw, max_bytes=max_bytes)
        options = body if isinstance(body, dict) and ("events" in body or "event_id" in body) else {}
        dry_run = flag(params.get("dry_run", options.get("dry_run")), True)
        force = flag(params.get("force", options.get("force")), False)
        reason = clean_text(str(params.get("reason") or options.get("reason") or "")).strip()[:500]
        if force and not reason:
            return 400, {"error": "force needs a reason (field 'reason'): it re-runs a completed event"}
        internal = False
        if "event_id" in options:
            delivery = reactor.store.get_event(str(options["event_id"]))
            if delivery is None:
                return 404, {"error": f"no stored event with id {options['event_id']!r}"}
            internal = True
        else:
            delivery = options.get("events", body)
        outcomes = reactor.handle_delivery(
            delivery, dry_run=dry_run, internal=internal, force_reason=reason if force else None, replayed=True
        )
        return 200, {"dry_run": dry_run, "events": [o.as_json() for o in outcomes]}

    return safely(run)


def report_deployment(reactor: Reactor, raw: bytes, *, max_bytes: int = MAX_BODY_BYTES) -> Response:
    """POST /api/deployments: CD reports {model, version, environment, status, run_url}."""

    def run() -> Response:
        body = loads(raw, max_bytes=max_bytes)
        if not isinstance(body, dict):
            return 400, {"error": "expected a JSON object with model, version, environment, status, run_url"}
        if body.get("id") is not None and not isinstance(body["id"], str | int):
            return 400, {"error": f"field 'id' must be a string (got {type(body['id']).__name__})"}
        if "version" in body:
            body["version"] = canonical_version(body["version"])
        seed = {k: body.get(k) for k in ("model", "version", "environment", "status", "run_url")}
        return answer(
            internal_event(
                reactor,
                ev.DEPLOYMENT_REPORTED,
                seed,
                body,
                f"DeploymentReported-{body['id']}" if body.get("id") else None,
            )
        )

    return safely(run)


def decide_approval(
    reactor: Reactor,
    model: str,
    version: str,
    fields: Mapping[str, Any],
    headers: Mapping[str, str],
    *,
    trust_body_identity: bool,
) -> Response:
    """POST /api/approvals/{model}/{version}: approve or reject; the approver comes from the platform.

    The decision is normalized here (approve / reject, any case) and the version canonicalized, so every
    spelling of one decision is one event id: a second one is a duplicate.
    """

    def run() -> Response:
        checked = approval_fields(fields)
        model_name, canonical = clean_text(model).strip(), canonical_version(clean_text(version))
        approver = headers.get(PRINCIPAL_HEADER) or (checked.get("approver") if trust_body_identity else None)
        if not approver:
            return 401, {
                "error": "no approver identity: approvals need the signed-in user, so turn on App Service "
                "Authentication (Entra ID) for the app and sign in"
            }
        data = {
            "model": model_name,
            "version": canonical,
            "decision": checked["decision"],
            "approver": clean_text(str(approver)).strip(),
            "comment": checked.get("comment", ""),
        }
        # One decision per person per time the version reached staging: a double click is a duplicate, while an
        # attempt refused (too early, or by someone the policy does not name) does not use up the real one's id.
        record = reactor.store.get_record(model_name, canonical)
        stagings = sum(1 for s in record.history if s.get("to") == "staging" and "kind" not in s) if record else 0
        seed = {
            "model": model_name,
            "version": canonical,
            "staging": stagings,
            "approver": data["approver"].lower(),
            "decision": data["decision"],
        }
        if record is not None and record.approval.get("key"):  # a fresh request takes fresh decisions
            seed["request"] = record.approval["key"]
        status, body = answer(internal_event(reactor, ev.APPROVAL_DECIDED, seed, data))
        # Its evidence changed: the decision was refused and a fresh request sent instead (the only way an
        # approval decision asks for approval).
        refused = status == 200 and any(a.get("kind") == "request_approval" for a in body.get("actions", ()))
        return (409 if refused else status), body

    return safely(run)


def approval_request(
    reactor: Reactor,
    model: str,
    version: str,
    raw: bytes,
    content_type: str,
    headers: Mapping[str, str],
    *,
    trust_body_identity: bool,
    max_bytes: int = MAX_BODY_BYTES,
) -> Response:
    """POST /api/approvals/{model}/{version} from its body: JSON or a form, read and checked before anything runs."""
    try:
        fields = approval_body(raw, content_type, max_bytes=max_bytes)
    except BadBody as exc:
        return exc.status, {"error": str(exc)}
    if isinstance(fields, Mapping) and fields.get("decision") == "request":  # the page asks for a fresh request
        return safely(
            lambda: fresh_from_fields(reactor, model, version, fields, headers, trust_body_identity=trust_body_identity)
        )
    return decide_approval(reactor, model, version, fields, headers, trust_body_identity=trust_body_identity)


def _model_ledger(reactor: Reactor, model: str, version: str | None, params: Mapping[str, str]) -> Response:
    """A model's (or version's) records and a page of its ledger, newest first, with the cursor of the next."""
    try:
        page = reactor.store.ledger_page(ledger_query_from(model, version, params))
    except BadQuery as exc:
        return 400, {"error": str(exc), "parameter": exc.name}
    found = [reactor.store.get_record(model, version)] if version is not None else reactor.store.records(model)
    records = [asdict(r) for r in found if r is not None]
    return 200, {"records": records, "ledger": [asdict(e) for e in page.entries], "next": page.next}


def ledger(
    reactor: Reactor, kind: str, key: str, version: str | None = None, params: Mapping[str, str] | None = None
) -> Response:
    """GET /api/ledger/events/{id} | /api/ledger/models/{model}[/{version}][?limit=&cursor=] |
    /api/ledger/dead-letters."""
    key, version = clean_text(key), None if version is None else clean_text(version)
    store = reactor.store
    if kind == "events":
        entries = store.ledger(event_id=key)
    elif kind == "models":
        return safely(lambda: _model_ledger(reactor, key, version, params or {}))
    elif kind == "dead-letters":
        return 200, {"dead_letters": store.dead_letters()}
    else:
        return 404, {"error": f"unknown ledger view {kind!r}: use events, models or dead-letters"}
    if not entries:
        return 404, {"error": f"nothing recorded for {key!r}"}
    return 200, {"ledger": [asdict(e) for e in entries]}
