"""POST /runtime/webhooks/eventgrid?functionName=…: the Event Grid extension's HTTP rules, for one function."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from azure.functions import CloudEvent, EventGridEvent, meta
from azure.functions.eventgrid import EventGridEventInConverter
from werkzeug.wrappers import Request, Response

from devhost.functions import Registered
from shared.core.payload import nesting

log = logging.getLogger("devhost")
HOST_MAX_DEPTH = 64  # the host's JSON reader refuses deeper documents (its default MaxDepth)


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
        return _text(
            f"aeg-event-type header is {shown}: expected Notification, SubscriptionValidation or "
            "Unsubscribe (Event Grid does not retry a 400)",
            400,
        )
    body, problem = _delivery(request.get_data())
    if problem:
        return _text(problem + " (Event Grid does not retry a 400)", 400)
    events = body if isinstance(body, list) else [body]
    errors = [error for event in events if (error := run(function, event))]
    if errors:
        return _text("; ".join(errors), 500)  # Event Grid redelivers the whole payload
    return Response(status=202)


def _delivery(data: bytes) -> tuple[Any, str | None]:
    """The delivery's JSON, or why the host refuses it whole: not UTF-8 JSON, or nested too deep."""
    try:
        text = data.decode("utf-8")
        if nesting(text) > HOST_MAX_DEPTH:
            return None, f"the delivery nests more than {HOST_MAX_DEPTH} levels deep"
        body = json.loads(text or "null")
    except (ValueError, RecursionError) as exc:
        return None, f"the delivery is not JSON: {str(exc)[:200]}"
    return body, None


def decode(event: dict[str, Any]) -> Any:
    """The binding object the worker builds (CloudEvent when specversion is set, else EventGridEvent).

    Where the worker cannot read a time field (it then fails the call: a 500), the object keeps the time as
    sent, so the app dead-letters the event. Event Grid checks times when publishing: only a hand-made
    delivery has such a time.
    """
    try:
        return EventGridEventInConverter.decode(meta.Datum(json.dumps(event), "json"), trigger_metadata={})
    except (ValueError, TypeError):
        pass
    if "specversion" in event:
        known = ("id", "source", "type", "specversion", "time", "subject", "datacontenttype", "dataschema")
        cloud: dict[str, Any] = {k: event.get(k) for k in known}  # as sent: the worker does not check types
        extensions = {k: v for k, v in event.items() if k not in known and k != "data"}
        return CloudEvent(**cloud, data=event.get("data"), **extensions)
    names = {
        "id": "id",
        "topic": "topic",
        "subject": "subject",
        "event_type": "eventType",
        "event_time": "eventTime",
        "data": "data",
        "data_version": "dataVersion",
    }
    grid: dict[str, Any] = {arg: event.get(key) for arg, key in names.items()}
    return EventGridEvent(**grid)


def run(function: Registered, event: Any) -> str | None:
    """Convert one event as the worker would and call the function; an exception fails the call."""
    invocation = uuid.uuid4()
    started = time.perf_counter()
    log.info("Executing 'Functions.%s' (Reason='EventGrid trigger fired', Id=%s)", function.name, invocation)
    if not isinstance(event, dict):  # the worker cannot bind it: a failed call (Event Grid never sends one)
        log.error("Executed 'Functions.%s' (Failed, Id=%s): the event is not a JSON object", function.name, invocation)
        return f"Functions.{function.name}: an event must be a JSON object, not {type(event).__name__}"
    try:
        function.call(**{function.arg_name: decode(event)})
    except Exception as exc:  # any exception is a failed invocation, as in the host
        log.exception("Executed 'Functions.%s' (Failed, Id=%s)", function.name, invocation)
        return f"Exception while executing function: Functions.{function.name}: {type(exc).__name__}: {exc}"
    log.info(
        "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%dms)",
        function.name,
        invocation,
        (time.perf_counter() - started) * 1000,
    )
    return None


def _validate(request: Request) -> Response:
    body, problem = _delivery(request.get_data())
    try:
        if problem:
            raise ValueError(problem)
        event = body[0] if isinstance(body, list) else body
        code = {k.lower(): v for k, v in event["data"].items()}["validationcode"]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return _text("a SubscriptionValidation delivery needs data.validationCode", 400)
    return Response(json.dumps({"validationResponse": code}), 200, mimetype="application/json")


def _abuse_protection(request: Request) -> Response:
    origin = request.headers.get("WebHook-Request-Origin")
    if not origin:
        return _text("the CloudEvents handshake needs a WebHook-Request-Origin header", 400)
    return Response(
        status=200, headers={"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*", "Allow": "POST"}
    )


def _text(message: str, status: int, **headers: str) -> Response:
    return Response(message, status, mimetype="text/plain", headers=headers)
