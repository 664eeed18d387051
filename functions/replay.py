"""POST /api/replay: run a delivery or a stored event through the core again; dry-run by default."""

import azure.functions as func

from functions._http import query, respond

bp = func.Blueprint()


@bp.function_name("replay")
@bp.route(route="replay", methods=["POST"])
def replay(req: func.HttpRequest) -> func.HttpResponse:
    """Body: a delivery, {"events": ..., "dry_run": false} or {"event_id": ...}."""
    from shared.app.bootstrap import reactor, settings
    from shared.web import http_api

    return respond(http_api.replay(reactor(), req.get_body(), query(req), max_bytes=settings().max_body_bytes))
