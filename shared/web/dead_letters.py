"""GET /api/deadletters (a filtered page, newest first) and POST /api/deadletters/redrive (bulk, dry run first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core.dead_letters import BadQuery, dry_run_of, query_from
from shared.core.errors import PermanentError, TransientError
from shared.core.payload import BadBody, loads
from shared.engine.reactor import Reactor
from shared.engine.redrive import redrive

Response = tuple[int, Any]


def list_letters(reactor: Reactor, params: Mapping[str, str]) -> Response:
    """?type=&reason=&status=&since=&until=&limit=&cursor=: the app's dead letters, each with its kind and status."""
    try:
        page = reactor.store.dead_letter_page(query_from(params))
    except BadQuery as exc:
        return 400, {"error": str(exc), "parameter": exc.name}
    except TransientError as exc:
        return 503, {"error": str(exc), "retry": True}
    return 200, {"dead_letters": page.letters, "next": page.next}


def redrive_letters(reactor: Reactor, raw: bytes, params: Mapping[str, str], *, max_bytes: int) -> Response:
    """Body (or query) {type, reason, status, since, until, limit, cursor, dry_run}: replay a page's open letters."""
    try:
        body = loads(raw, max_bytes=max_bytes) if raw.strip() else {}
        if not isinstance(body, dict):
            return 400, {"error": "expected a JSON object: {type, reason, since, until, limit, cursor, dry_run}"}
        options = {**body, **params}
        query = query_from(options, also=("dry_run",))
        done = redrive(reactor, query, dry_run=dry_run_of(options.get("dry_run")))
    except BadQuery as exc:
        return 400, {"error": str(exc), "parameter": exc.name}
    except BadBody as exc:
        return exc.status, {"error": str(exc)}
    except TransientError as exc:
        return 503, {"error": str(exc), "retry": True}
    except PermanentError as exc:
        return 400, {"error": str(exc)}
    return 200, done.as_json()
