"""GET /api/deadletters (a filtered page, newest first) and POST /api/deadletters/redrive (bulk, dry run first)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shared.core.dead_letters import BadQuery, dry_run_of, query_from, yes_no
from shared.core.errors import Misconfigured, PermanentError, TransientError
from shared.core.eventgrid_letters import LetterBlobs, blob_query_from
from shared.core.payload import BadBody, loads
from shared.engine.eventgrid_redrive import redrive_blobs, survey
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


def _answered(run: Callable[[], Any]) -> Response:
    """200 with what `run` returns; a bad parameter 400 naming it; a body problem 400/413; 503: retry, or the
    app's settings are wrong."""
    try:
        return 200, run()
    except BadQuery as exc:
        return 400, {"error": str(exc), "parameter": exc.name}
    except BadBody as exc:
        return exc.status, {"error": str(exc)}
    except TransientError as exc:
        return 503, {"error": str(exc), "retry": True}
    except Misconfigured as exc:  # the app's settings, not the request
        return 503, {"error": str(exc), "misconfigured": True}
    except PermanentError as exc:
        return 400, {"error": str(exc)}


def list_blobs(blobs: Callable[[], LetterBlobs], params: Mapping[str, str]) -> Response:
    """GET /api/deadletters/eventgrid?subscription=&date=&hour=&limit=&cursor=: Event Grid's, classified."""

    def run() -> Any:
        query = blob_query_from(params)
        return survey(blobs(), query.prefix, query.limit, query.cursor)

    return _answered(run)


def redrive_eventgrid(
    reactor: Reactor, blobs: Callable[[], LetterBlobs], raw: bytes, params: Mapping[str, str], *, max_bytes: int
) -> Response:
    """POST /api/deadletters/eventgrid/redrive {subscription, date, hour, limit, cursor, dry_run, again}."""

    def run() -> Any:
        options = {**_object(raw, max_bytes), **params}
        query = blob_query_from(options, also=("dry_run", "again"))
        dry_run, again = dry_run_of(options.get("dry_run")), yes_no("again", options.get("again"), default=False)
        return redrive_blobs(reactor, blobs(), query.prefix, query.limit, query.cursor, dry_run=dry_run, again=again)

    return _answered(run)


def _object(raw: bytes, max_bytes: int) -> dict[str, Any]:
    body = loads(raw, max_bytes=max_bytes) if raw.strip() else {}
    if not isinstance(body, dict):
        raise BadBody("expected a JSON object of options")
    return body


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
