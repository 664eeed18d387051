"""Event Grid triggers for Azure ML workspace events, in the Event Grid schema and in CloudEvents 1.0."""

import logging
from typing import Any

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger("mlops_reactor")


def _run(raw: dict[str, Any]) -> None:
    from shared.app.bootstrap import reactor

    outcome = reactor().handle(raw)  # TransientError propagates: the host answers 500, Event Grid redelivers
    log.info("event %s %s: %s %s", outcome.id, outcome.type, outcome.outcome, outcome.error or "")


@bp.function_name("aml_events")
@bp.event_grid_trigger(arg_name="event")
def aml_events(event: func.EventGridEvent) -> None:
    """Event Grid schema subscription."""
    _run({"id": event.id, "topic": event.topic, "subject": event.subject, "eventType": event.event_type,
          "eventTime": event.event_time.isoformat() if event.event_time else None,
          "data": event.get_json(), "dataVersion": event.data_version})


@bp.function_name("aml_cloudevents")
@bp.event_grid_trigger(arg_name="event")
def aml_cloudevents(event: func.CloudEvent) -> None:
    """CloudEvents 1.0 schema subscription."""
    _run({"specversion": event.specversion, "id": event.id, "source": event.source, "type": event.type,
          "subject": event.subject, "time": str(event.time) if event.time else None, "data": event.get_json()})
