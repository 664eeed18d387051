"""Event Grid triggers for Azure ML workspace events, in the Event Grid schema and in CloudEvents 1.0."""

import logging
from datetime import datetime
from typing import Any

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger("mlops_reactor")


def raw_event(event: func.EventGridEvent | func.CloudEvent) -> dict[str, Any]:
    """The event as delivered, whichever class the worker chose (it picks CloudEvent when specversion is set)."""
    if isinstance(event, func.CloudEvent):
        extensions = getattr(event, "extension_attrs", None) or {}  # other fields, e.g. another schema's
        return {
            **extensions,
            "specversion": event.specversion,
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "subject": event.subject,
            "time": _time(event.time),
            "data": event.get_json(),
        }
    return {
        "id": event.id,
        "topic": event.topic,
        "subject": event.subject,
        "eventType": event.event_type,
        "eventTime": _time(event.event_time),
        "data": event.get_json(),
        "dataVersion": event.data_version,
    }


def _time(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _run(event: func.EventGridEvent | func.CloudEvent) -> None:
    from shared.app.bootstrap import reactor, settings
    from shared.core.payload import guard_event

    raw = guard_event(raw_event(event), max_bytes=settings().max_body_bytes)  # too deep / large: a stand-in
    outcome = reactor().handle(raw)  # TransientError propagates: the host answers 500, Event Grid redelivers
    log.info("event %s %s: %s %s", outcome.id, outcome.type, outcome.outcome, outcome.error or "")


@bp.function_name("aml_events")
@bp.event_grid_trigger(arg_name="event")
def aml_events(event: func.EventGridEvent) -> None:
    """Event Grid schema subscription."""
    _run(event)


@bp.function_name("aml_cloudevents")
@bp.event_grid_trigger(arg_name="event")
def aml_cloudevents(event: func.CloudEvent) -> None:
    """CloudEvents 1.0 schema subscription."""
    _run(event)
