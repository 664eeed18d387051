"""What each HTTP endpoint does, apart from Azure Functions: request pieces in, (status, body) out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from shared.core import events as ev
from shared.core.errors import PermanentError, TransientError
from shared.engine.reactor import Outcome, Reactor

Response = tuple[int, Any]
PRINCIPAL_HEADER = "x-ms-client-principal-name"
_TRUE = ("1", "true", "yes", "on")


def _flag(value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in _TRUE


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise PermanentError(f"the request body is not JSON: {exc}") from exc


def _safely(run: Any) -> Response:
    try:
        status, payload = run()
        return status, payload
    except TransientError as exc:
        return 503, {"error": str(exc), "retry": True}
    except PermanentError as exc:
        return 400, {"error": str(exc)}


def replay(reactor: Reactor, raw: bytes, params: Mapping[str, str]) -> Response:
    """POST /api/replay: a delivery, {"events": ...} or {"event_id": ...}; dry-run unless dry_run=false."""

    def run() -> Response:
        body = _body(raw)
        options = body if isinstance(body, dict) and ("events" in body or "event_id" in body) else {}
        dry_run = _flag(params.get("dry_run", options.get("dry_run")), True)
        force = _flag(params.get("force", options.get("force")), False)
        reason = str(params.get("reason") or options.get("reason") or "").strip()
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
        outcomes = reactor.handle_delivery(delivery, dry_run=dry_run, internal=internal,
                                           force_reason=reason if force else None)
        return 200, {"dry_run": dry_run, "events": [o.as_json() for o in outcomes]}

    return _safely(run)


def _internal_event(reactor: Reactor, kind: str, seed: Mapping[str, Any], data: Mapping[str, Any],
                    event_id: str | None = None) -> Outcome:
    digest = hashlib.sha256(json.dumps(seed, sort_keys=True).encode()).hexdigest()[:24]
    raw = {"specversion": "1.0", "id": event_id or f"{kind.rsplit('.', 1)[-1]}-{digest}", "type": kind,
           "source": reactor.workspace_id, "subject": f"models/{data.get('model')}:{data.get('version')}",
           "data": dict(data)}
    return reactor.handle(raw, internal=True)


def _answer(outcome: Outcome) -> Response:
    status = {"handled": 200, "duplicate": 200, "ignored": 200}.get(outcome.outcome, 422)
    return status, outcome.as_json()


def report_deployment(reactor: Reactor, raw: bytes) -> Response:
    """POST /api/deployments: CD reports {model, version, environment, status, run_url}."""

    def run() -> Response:
        body = _body(raw)
        if not isinstance(body, dict):
            return 400, {"error": "expected a JSON object with model, version, environment, status, run_url"}
        seed = {k: body.get(k) for k in ("model", "version", "environment", "status", "run_url")}
        return _answer(_internal_event(reactor, ev.DEPLOYMENT_REPORTED, seed, body,
                                       f"DeploymentReported-{body['id']}" if body.get("id") else None))

    return _safely(run)


def decide_approval(reactor: Reactor, model: str, version: str, fields: Mapping[str, Any],
                    headers: Mapping[str, str], *, trust_body_identity: bool) -> Response:
    """POST /api/approvals/{model}/{version}: approve or reject; the approver comes from the platform."""

    def run() -> Response:
        approver = headers.get(PRINCIPAL_HEADER) or (fields.get("approver") if trust_body_identity else None)
        if not approver:
            return 401, {"error": "no approver identity: approvals need the signed-in user, so turn on App Service "
                                  "Authentication (Entra ID) for the app and sign in"}
        data = {"model": model, "version": version, "decision": fields.get("decision"),
                "approver": str(approver), "comment": fields.get("comment") or ""}
        # One decision per person per time the version reached staging: a double click is a duplicate, while an
        # attempt refused (too early, or by someone the policy does not name) does not use up the real one's id.
        record = reactor.store.get_record(model, version)
        stagings = sum(1 for step in record.history if step.get("to") == "staging") if record else 0
        seed = {"model": model, "version": version, "staging": stagings, "approver": str(approver).lower(),
                "decision": data["decision"]}
        return _answer(_internal_event(reactor, ev.APPROVAL_DECIDED, seed, data))

    return _safely(run)


def ledger(reactor: Reactor, kind: str, key: str, version: str | None = None) -> Response:
    """GET /api/ledger/events/{id} | /api/ledger/models/{model}[/{version}] | /api/ledger/dead-letters."""
    store = reactor.store
    if kind == "events":
        entries = store.ledger(event_id=key)
    elif kind == "models":
        entries = store.ledger(model=key, version=version)
        records = [asdict(r) for r in store.records(key) if version is None or r.version == version]
        return 200, {"records": records, "ledger": [asdict(e) for e in entries]}
    elif kind == "dead-letters":
        return 200, {"dead_letters": store.dead_letters()}
    else:
        return 404, {"error": f"unknown ledger view {kind!r}: use events, models or dead-letters"}
    if not entries:
        return 404, {"error": f"nothing recorded for {key!r}"}
    return 200, {"ledger": [asdict(e) for e in entries]}
