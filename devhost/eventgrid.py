"""POST /runtime/webhooks/eventgrid?functionName=…: the Event Grid extension's HTTP rules, for one function."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from werkzeug.wrappers import Request, Response

from devhost.functions import Registered

log = logging.getLogger("devhost")


def webhook(request: Request, function: Registered) -> Response:
    """Answer one webhook request as the host extension does (REFERENCE §3.5)."""
    if request.method == "OPTIONS":
        return _abuse_protection(request)
    if request.method != "POST":
        return _text(f"the Event Grid webhook accepts POST and OPTIONS, not {request.method}", 405, Allow="POST")
    kind = request.headers.get("aeg-event-type", "")
    if kind == "SubscriptionValidation":
        return _validate(request)
    if kind == "Unsubscribe":
        return Response(status=202)
    if kind != "Notification":
        shown = f"'{kind}'" if kind else "missing"
        return _text(f"aeg-event-type header is {shown}: expected Notification, SubscriptionValidation or "
                     "Unsubscribe (Event Grid does not retry a 400)", 400)
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError as exc:
        return _text(f"the delivery is not JSON: {exc}", 400)
    events = body if isinstance(body, list) else [body]
    errors = [error for event in events if (error := run(function, event))]
    if errors:
        return _text("; ".join(errors), 500)  # Event Grid redelivers the whole payload
    return Response(status=202)


def run(function: Registered, event: Any) -> str | None:
    """Convert one event as the worker would (CloudEvent if it has specversion) and call the function."""
    invocation = uuid.uuid4()
    started = time.perf_counter()
    log.info("Executing 'Functions.%s' (Reason='EventGrid trigger fired', Id=%s)", function.name, invocation)
    try:
        if not isinstance(event, dict):
            raise ValueError(f"an event must be a JSON object, not {type(event).__name__}")
        datum = meta.Datum(json.dumps(event), "json")
        function.call(**{function.arg_name: EventGridEventInConverter.decode(datum, trigger_metadata={})})
    except Exception as exc:  # any exception is a failed invocation, as in the host
        log.exception("Executed 'Functions.%s' (Failed, Id=%s)", function.name, invocation)
        return f"Exception while executing function: Functions.{function.name}: {type(exc).__name__}: {exc}"
    log.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)", function.name, invocation,
             (time.perf_counter() - started) * 1000)
    return None


def _validate(request: Request) -> Response:
    try:
        body = json.loads(request.get_data() or b"null")
        event = body[0] if isinstance(body, list) else body
        code = {k.lower(): v for k, v in event["data"].items()}["validationcode"]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return _text("a SubscriptionValidation delivery needs data.validationCode", 400)
    return Response(json.dumps({"validationResponse": code}), 200, mimetype="application/json")


def _abuse_protection(request: Request) -> Response:
    origin = request.headers.get("WebHook-Request-Origin")
    if not origin:
        return _text("the CloudEvents handshake needs a WebHook-Request-Origin header", 400)
    return Response(status=200, headers={"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*",
                                         "Allow": "POST"})


def _text(message: str, status: int, **headers: str) -> Response:
    return Response(message, status, mimetype="text/plain", headers=headers)
