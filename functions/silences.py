"""/api/silences (GET list, POST set, POST .../expire or DELETE end) and /api/retrain-budgets/{model}/reset."""

import azure.functions as func

from functions._http import query, respond

bp = func.Blueprint()


def _signed_in(req: func.HttpRequest) -> str | None:
    from shared.app.bootstrap import settings
    from shared.web.principal import principal_name

    # The principal header is trustworthy only behind App Service Authentication, which sets it.
    return principal_name(req.headers) if settings().platform_sign_in else None


@bp.function_name("silences")
@bp.route(route="silences/{silence?}/{action?}", methods=["GET", "POST", "DELETE"])
def silences(req: func.HttpRequest) -> func.HttpResponse:
    """GET lists; POST sets; POST {id}/expire or DELETE {id} ends one now."""
    from shared.app.bootstrap import reactor
    from shared.web import silences_api

    silence, action = req.route_params.get("silence"), req.route_params.get("action")
    if req.method == "GET" and not silence:
        return respond(silences_api.list_silences(reactor(), query(req)))
    if req.method == "POST" and not silence:
        return respond(silences_api.create_silence(reactor(), req.get_body(), _signed_in(req)))
    if silence and ((req.method == "POST" and action == "expire") or (req.method == "DELETE" and not action)):
        return respond(silences_api.expire(reactor(), silence, req.get_body(), _signed_in(req)))
    return respond(
        (404, {"error": "use GET or POST /api/silences, POST /api/silences/{id}/expire, DELETE /api/silences/{id}"})
    )


@bp.function_name("retrain_budgets")
@bp.route(route="retrain-budgets/{model}/reset", methods=["POST"])
def retrain_budgets(req: func.HttpRequest) -> func.HttpResponse:
    """POST {by, why}: reset the model's retrain budget."""
    from shared.app.bootstrap import reactor
    from shared.web import silences_api

    model = req.route_params["model"]
    return respond(silences_api.reset_budget(reactor(), model, req.get_body(), _signed_in(req)))
