"""GET /api/health: anonymous; "ok", or "misconfigured" with the problems (where and why, no secrets)."""

import azure.functions as func

from functions._http import respond

bp = func.Blueprint()


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """200 {"status": "ok"}; 503 {"status": "misconfigured", "problems": [...]} when the configuration is wrong."""
    from shared.app.bootstrap import problems
    from shared.web.health import health as answer

    return respond(answer(problems()))
