"""GET /api/ledger/...: what happened to an event or a model version, and why."""

import azure.functions as func

from functions._http import query, respond

bp = func.Blueprint()


@bp.function_name("ledger")
@bp.route(route="ledger/{kind}/{key?}/{version?}", methods=["GET"])
def ledger(req: func.HttpRequest) -> func.HttpResponse:
    """events/{id}, models/{model}[/{version}] (?limit=&cursor=: a page, newest first), dead-letters."""
    from shared.app.bootstrap import reactor
    from shared.web import http_api

    params = req.route_params
    key, version = params.get("key") or "", params.get("version")
    return respond(http_api.ledger(reactor(), params["kind"], key, version, query(req)))
