"""/api/silences and /api/retrain-budgets: set, list and end silences; reset a retrain budget. Framework-free.

Every change goes through the core as an internal event (in the ledger, keyed by what happens). A bad field is
a 400 naming it. `by` is the signed-in user when the platform says so, else the body's `by` (the caller holds a
function key, as for every route here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from shared.core.event_fields import NAME
from shared.core.event_types import RETRAIN_BUDGET_RESET
from shared.core.payload import BadBody, clean_text, loads
from shared.core.silences import SCOPES, silence_id
from shared.engine.reactor import Outcome, Reactor
from shared.engine.silences import end_silence, set_silence
from shared.web.answers import Response, answer, safely

MAX_DAYS = 30  # a silence is a time box: longer than this is a policy change, not a silence
MAX_BYTES = 64 * 1024
_SET = ("scope", "match", "until", "hours", "by", "why", "notify")


def list_silences(reactor: Reactor, params: Mapping[str, str]) -> Response:
    """GET /api/silences[?ended=true&limit=N]: the silences not ended (soonest end first) with what each held."""
    ended = str(params.get("ended", "")).lower() in ("1", "true", "yes")
    limit = params.get("limit", "100")
    if not str(limit).isdigit() or not 1 <= int(limit) <= 500:
        return 400, {"error": f"field 'limit' must be a whole number from 1 to 500 (got {clean_text(str(limit))!r})"}
    return safely(
        lambda: (
            200,
            {
                "silences": [
                    {**asdict(s), "held": reactor.store.held(s.id)}
                    for s in reactor.store.silences(ended=ended, limit=int(limit))
                ]
            },
        )
    )


def create_silence(reactor: Reactor, raw: bytes, signed_in: str | None) -> Response:
    """POST /api/silences {scope, match, until | hours, why, by, notify?}: hold matching notices until then."""

    def run() -> Response:
        body = _object(raw, _SET)
        scope = _text(body, "scope", 20).lower()
        if scope not in SCOPES:
            raise BadBody(f"field 'scope' must be one of {', '.join(SCOPES)} (got {scope!r})")
        pattern, why = _text(body, "match", 200), _text(body, "why", 2000)
        by = signed_in or _text(body, "by", 200)
        until = _until(body, reactor.clock.now())
        notify = _text(body, "notify", 200, required=False)
        if notify and notify not in reactor.policy.channels:
            raise BadBody(f"field 'notify' must name a channel of the policy (got {notify!r})")
        sid = silence_id(scope, pattern, until, by, why)
        data = {"silence": sid, "scope": scope, "pattern": pattern, "until": until, "by": by, "why": why}
        outcome = set_silence(reactor, {**data, "notify": notify})
        return _answer(outcome, {"silence": sid, "until": until})

    return safely(run)


def expire(reactor: Reactor, silence: str, raw: bytes, signed_in: str | None) -> Response:
    """POST /api/silences/{id}/expire or DELETE /api/silences/{id} {by, why?}: end it now; hear what it held."""

    def run() -> Response:
        body = _object(raw, ("by", "why"), empty_ok=True)
        sid = clean_text(silence).strip()
        if reactor.store.get_silence(sid) is None:
            return 404, {"error": f"no silence {sid!r}"}
        by = signed_in or _text(body, "by", 200)
        return _answer(end_silence(reactor, sid, by, _text(body, "why", 2000, required=False)), {"silence": sid})

    return safely(run)


def reset_budget(reactor: Reactor, model: str, raw: bytes, signed_in: str | None) -> Response:
    """POST /api/retrain-budgets/{model}/reset {by, why}: retraining resumes; the retrains so far stop counting."""

    def run() -> Response:
        body = _object(raw, ("by", "why"))
        name = clean_text(model).strip()
        if not NAME.match(name):
            raise BadBody(f"the model in the path must be a name of letters, digits, '_', '.', '-' (got {name!r})")
        by, why = signed_in or _text(body, "by", 200), _text(body, "why", 2000)
        previous = reactor.store.budget_reset(name) or "never"
        raw_event = {
            "specversion": "1.0",
            "id": f"RetrainBudgetReset-{name}-{previous}",  # one reset per reset it replaces: a retry is one
            "type": RETRAIN_BUDGET_RESET,
            "source": reactor.workspace_id,
            "data": {"model": name, "by": by, "why": why},
        }
        return _answer(reactor.handle(raw_event, internal=True), {"model": name})

    return safely(run)


def _object(raw: bytes, fields: tuple[str, ...], empty_ok: bool = False) -> dict[str, Any]:
    if empty_ok and not raw.strip():
        return {}
    body = loads(raw, max_bytes=MAX_BYTES)
    if not isinstance(body, dict):
        raise BadBody(f"expected a JSON object with {', '.join(fields)} (got {type(body).__name__})")
    unknown = sorted(clean_text(str(k))[:40] for k in body if k not in fields)
    if unknown:
        raise BadBody(f"unexpected field(s) {', '.join(map(repr, unknown[:5]))}: this takes {', '.join(fields)}")
    return body


def _text(body: Mapping[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise BadBody(f"field {name!r} must be a non-empty string")
    if len(value) > limit:
        raise BadBody(f"field {name!r} is longer than {limit} characters")
    return clean_text(value).strip()


def _until(body: Mapping[str, Any], now: datetime) -> str:
    """The end of the time box: `until` (RFC 3339, with a zone) or `hours` from now; within MAX_DAYS."""
    if ("until" in body) == ("hours" in body):
        raise BadBody("give exactly one of field 'until' (an RFC 3339 time) or field 'hours' (a number)")
    if "hours" in body:
        hours = body["hours"]
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 2 / 60 <= hours <= MAX_DAYS * 24:
            raise BadBody(f"field 'hours' must be a number from 2/60 (two minutes) to {MAX_DAYS * 24}")
        # To the minute: a client's retry of the same request is the same silence (its id comes from `until`).
        return (now + timedelta(hours=hours)).replace(second=0, microsecond=0).isoformat()
    try:
        until = datetime.fromisoformat(str(body["until"]).replace("Z", "+00:00"))
    except ValueError:
        until = None
    if until is None or until.tzinfo is None:
        raise BadBody("field 'until' must be an RFC 3339 time with a zone, e.g. 2026-11-22T18:00:00Z")
    if not now < until <= now + timedelta(days=MAX_DAYS):
        raise BadBody(f"field 'until' must be in the future and at most {MAX_DAYS} days away")
    return until.isoformat()


def _answer(outcome: Outcome, extra: Mapping[str, Any]) -> Response:
    status, body = answer(outcome)
    return status, {**extra, **body}
