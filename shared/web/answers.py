"""What every HTTP handler shares: the answer shape, the refusals as JSON, internal events from a request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from shared.core.errors import PermanentError, TransientError
from shared.core.payload import BadBody
from shared.engine.reactor import Outcome, Reactor

Response = tuple[int, Any]
PRINCIPAL_HEADER = "x-ms-client-principal-name"
TRUE = ("1", "true", "yes", "on")
MAX_BODY_BYTES = 1 << 20  # the default of REACTOR_MAX_BODY_BYTES; the functions pass the setting


def flag(value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in TRUE


def safely(run: Any) -> Response:
    """Every refusal as a JSON answer: 413 or 400 for the body, 400 for another permanent problem, 503 to retry."""
    try:
        status, payload = run()
        return status, payload
    except TransientError as exc:
        return 503, {"error": str(exc), "retry": True}
    except BadBody as exc:
        return exc.status, {"error": str(exc)}
    except PermanentError as exc:
        return 400, {"error": str(exc)}


def internal_event(
    reactor: Reactor, kind: str, seed: Mapping[str, Any], data: Mapping[str, Any], event_id: str | None = None
) -> Outcome:
    digest = hashlib.sha256(json.dumps(seed, sort_keys=True).encode()).hexdigest()[:24]
    raw = {
        "specversion": "1.0",
        "id": event_id or f"{kind.rsplit('.', 1)[-1]}-{digest}",
        "type": kind,
        "source": reactor.workspace_id,
        "subject": f"models/{data.get('model')}:{data.get('version')}",
        "data": dict(data),
    }
    return reactor.handle(raw, internal=True)


def answer(outcome: Outcome) -> Response:
    status = {"handled": 200, "duplicate": 200, "ignored": 200}.get(outcome.outcome, 422)
    return status, outcome.as_json()
