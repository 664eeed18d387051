"""GET /api/deadletters (a filtered page, newest first) and POST /api/deadletters/redrive (bulk, dry run first)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from shared.core.dead_letters import BadQuery, dry_run_of, query_from, yes_no
from shared.core.errors import Misconfigured
from shared.core.eventgrid_letters import LetterBlobs, blob_query_from
from shared.core.payload import BadBody, loads
from shared.engine.eventgrid_redrive import redrive_blobs, survey
from shared.engine.reactor import Reactor
from shared.engine.redrive import redrive
from shared.web.answers import Response, safely


def list_letters(reactor: Reactor, params: Mapping[str, str]) -> Response:
    """?type=&reason=&status=&since=&until=&limit=&cursor=: the app's dead letters, each with its kind and status."""

    def run() -> Any:
        page = reactor.store.dead_letter_page(query_from(params))
        return {"dead_letters": page.letters, "next": page.next}

    return _answered(run)


def _answered(run: Callable[[], Any]) -> Response:
    """200 with what `run` returns; a bad parameter 400 naming it; 503 when the app's settings are wrong; the rest
    as every handler refuses (`answers.safely`: a body problem 400/413, another permanent one 400, 503 to retry)."""

    def answered() -> Response:
        try:
            return 200, run()
        except BadQuery as exc:
            return 400, {"error": str(exc), "parameter": exc.name}
        except Misconfigured as exc:  # the app's settings, not the request
            return 503, {"error": str(exc), "misconfigured": True}

    return safely(answered)


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


def _object(raw: bytes, max_bytes: int, expected: str = "a JSON object of options") -> dict[str, Any]:
    body = loads(raw, max_bytes=max_bytes) if raw.strip() else {}
    if not isinstance(body, dict):
        raise BadBody(f"expected {expected}")
    return body


def redrive_letters(reactor: Reactor, raw: bytes, params: Mapping[str, str], *, max_bytes: int) -> Response:
    """Body (or query) {type, reason, status, since, until, limit, cursor, dry_run}: replay a page's open letters."""

    def run() -> Any:
        expected = "a JSON object: {type, reason, since, until, limit, cursor, dry_run}"
        options = {**_object(raw, max_bytes, expected), **params}
        query = query_from(options, also=("dry_run",))
        return redrive(reactor, query, dry_run=dry_run_of(options.get("dry_run"))).as_json()

    return _answered(run)
