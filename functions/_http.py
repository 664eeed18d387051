"""Shared translation for HTTP triggers: a (status, body) pair from shared.web.http_api into an HttpResponse."""

import json
from typing import Any

import azure.functions as func


def query(req: func.HttpRequest) -> dict[str, str]:
    """The query's parameters without the function key (`code`, when sent there rather than in x-functions-key):
    the host checked it; it is no filter, and no answer repeats it."""
    return {k: v for k, v in req.params.items() if k != "code"}


def respond(answer: tuple[int, Any]) -> func.HttpResponse:
    """JSON for dicts and lists, HTML for strings."""
    status, body = answer
    if isinstance(body, str):
        # Pages carry function keys in their URL: never hand it to another site.
        return func.HttpResponse(
            body, status_code=status, mimetype="text/html", headers={"Referrer-Policy": "no-referrer"}
        )
    return func.HttpResponse(json.dumps(body, default=str), status_code=status, mimetype="application/json")
