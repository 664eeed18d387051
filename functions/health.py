"""GET /api/health: anonymous liveness; reveals nothing about the configuration."""

import json

import azure.functions as func

bp = func.Blueprint()


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """Always {"status": "ok"} while the worker runs."""
    return func.HttpResponse(json.dumps({"status": "ok"}), mimetype="application/json")
