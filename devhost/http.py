"""HTTP triggers: a werkzeug request in, func.HttpRequest to the function, its func.HttpResponse back out."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import azure.functions as func
from werkzeug.wrappers import Request, Response

from devhost.functions import Registered

log = logging.getLogger("devhost")


def call(request: Request, function: Registered, route_params: dict[str, str]) -> Response:
    """Invoke an HTTP-triggered function the way the worker does; an exception is a 500, as in the host."""
    req = func.HttpRequest(
        method=request.method,
        url=request.url,
        headers={k.lower(): v for k, v in request.headers.items()},
        params={k: request.args.get(k, "") for k in request.args},
        route_params=route_params,
        body=request.get_data(),
    )
    invocation = uuid.uuid4()
    log.info(
        "Executing 'Functions.%s' (Reason='This function was programmatically called via the host APIs.', Id=%s)",
        function.name,
        invocation,
    )
    try:
        result = function.call(**{function.arg_name: req})
    except Exception:  # the host turns any exception into a 500
        log.exception("Executed 'Functions.%s' (Failed, Id=%s)", function.name, invocation)
        return Response(f"Exception while executing function: Functions.{function.name}", 500, mimetype="text/plain")
    log.info("Executed 'Functions.%s' (Succeeded, Id=%s)", function.name, invocation)
    return _response(result)


def _response(result: Any) -> Response:
    if isinstance(result, func.HttpResponse):
        headers = [(k, v) for k, v in result.headers.items() if k.lower() != "content-type"]
        content_type = result.headers.get("content-type") or f"{result.mimetype}; charset={result.charset}"
        return Response(result.get_body(), result.status_code, headers=headers, content_type=content_type)
    if result is None:
        return Response(status=204)
    body = result if isinstance(result, bytes) else str(result).encode()
    return Response(body, 200, mimetype="text/plain")
