"""POST /api/deployments: CD reports that a model version reached an environment."""

import azure.functions as func

from functions._http import respond

bp = func.Blueprint()


@bp.function_name("deployments")
@bp.route(route="deployments", methods=["POST"])
def deployments(req: func.HttpRequest) -> func.HttpResponse:
    """Body: {model, version, environment, status, run_url}."""
    from shared.app.bootstrap import reactor, settings
    from shared.web import http_api

    return respond(http_api.report_deployment(reactor(), req.get_body(), max_bytes=settings().max_body_bytes))
