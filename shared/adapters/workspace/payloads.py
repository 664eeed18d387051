"""Azure ML event payloads of every type, in either schema: what the local workspace emits, and synthetic events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.adapters.workspace.resource_writes import resource_group_of, resource_write_data
from shared.core import events as ev

TYPES = (
    "model_registered",
    "model_deployed",
    "run_completed",
    "run_status_changed",
    "dataset_drift",
    "monitor_breach",
    "monitor_breach_completed",
    "monitor_failed",
    "unknown_status",
    "resource_write",
)
MONITOR = "credit-risk-monitor"


def build(kind: str, workspace_id: str, *, schema: str = "eventgrid", **fields: Any) -> dict[str, Any]:
    """One event of `kind`; `fields` override the data (model, version, run_id, status, ...)."""
    if kind not in TYPES:
        raise ValueError(f"unknown event kind {kind!r}: expected one of {', '.join(TYPES)}")
    if kind == "resource_write":  # ARM's event: from the resource group's topic, about the written resource
        uri, data = resource_write_data(workspace_id, fields)
        topic = fields.get("topic") or resource_group_of(workspace_id)
        return envelope(ev.RESOURCE_WRITE, uri, data, topic, schema=schema, event_id=fields.get("id"))
    event_type, subject, data = _BODIES[kind](fields)
    return envelope(event_type, subject, data, workspace_id, schema=schema, event_id=fields.get("id"))


def envelope(
    event_type: str,
    subject: str,
    data: Mapping[str, Any],
    workspace_id: str,
    *,
    schema: str = "eventgrid",
    event_id: str | None = None,
) -> dict[str, Any]:
    """Wrap data as Event Grid would deliver it."""
    event_id = event_id or str(uuid.uuid4())
    when = datetime.now(UTC).isoformat()
    if schema == "cloudevents":
        return {
            "specversion": "1.0",
            "id": event_id,
            "source": workspace_id,
            "subject": subject,
            "type": event_type,
            "time": when,
            "data": dict(data),
        }
    if schema != "eventgrid":
        raise ValueError(f"schema must be 'eventgrid' or 'cloudevents' (got {schema!r})")
    return {
        "id": event_id,
        "topic": workspace_id,
        "subject": subject,
        "eventType": event_type,
        "eventTime": when,
        "data": dict(data),
        "dataVersion": "2",
        "metadataVersion": "1",
    }


def _registered(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    model, version = f.get("model", "credit-risk"), f.get("version", "1")
    return (
        ev.MODEL_REGISTERED,
        f"models/{model}:{version}",
        {"modelName": model, "modelVersion": str(version), "modelTags": dict(f.get("tags", {})), "modelProperties": {}},
    )


def _deployed(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    service = f.get("service", "credit-risk-staging")
    ids = f.get("model_ids", f"{f.get('model', 'credit-risk')}:{f.get('version', '1')}")
    return (
        ev.MODEL_DEPLOYED,
        f"endpoints/{service}",
        {
            "serviceName": service,
            "serviceComputeType": "Managed",
            "modelIds": ids,
            "serviceTags": dict(f.get("tags", {})),
            "serviceProperties": {},
        },
    )


def _run_data(f: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    run_id = f.get("run_id", "run-" + uuid.uuid4().hex[:12])
    experiment_id = f.get("experiment_id", str(uuid.uuid5(uuid.NAMESPACE_URL, f.get("experiment", "training"))))
    return f"experiments/{experiment_id}/runs/{run_id}", {
        "experimentId": experiment_id,
        "experimentName": f.get("experiment", "training"),
        "runId": run_id,
        "runType": f.get("run_type", "azureml.PipelineRun"),
        "runTags": dict(f.get("tags", {})),
        "runProperties": {},
    }


def _completed(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    subject, data = _run_data(f)
    return ev.RUN_COMPLETED, subject, data


def _status_changed(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    subject, data = _run_data(f)
    return ev.RUN_STATUS_CHANGED, subject, {**data, "runStatus": f.get("status", "Failed")}


def _drift(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    drift_id, run_id = str(uuid.uuid4()), f.get("run_id", "drift-" + uuid.uuid4().hex[:12])
    return (
        ev.DATASET_DRIFT,
        f"datadrift/{drift_id}/run/{run_id}",
        {
            "dataDriftId": drift_id,
            "dataDriftName": f.get("monitor", "credit-risk-monitor"),
            "runId": run_id,
            "baseDatasetId": str(uuid.uuid4()),
            "targetDatasetId": str(uuid.uuid4()),
            "driftCoefficient": float(f.get("coefficient", 0.83)),
            "startTime": "2026-11-01T00:00:00+00:00",
            "endTime": "2026-11-02T00:00:00+00:00",
        },
    )


def _breach_fields(f: Mapping[str, Any]) -> dict[str, Any]:
    """A v2 monitor run as Azure ML reports a breach: tagged by the threshold step, and Completed."""
    signal = f.get("signal", f"{f.get('monitor', MONITOR)}_data_drift")
    message = (
        f"The signal '{signal}' has failed due to one or more features violating metric thresholds.\n"
        '[{"group": "income", "metric_value": 0.41, "metric_name": "jensen_shannon_distance", '
        '"threshold_value": 0.1}]'
    )
    return {
        "experiment": f.get("monitor", MONITOR),
        "status": "Completed",
        **f,
        "tags": {ev.BREACH_TAG: message, **dict(f.get("tags", {}))},
    }


def _breach(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """RunStatusChanged of a tagged monitor run (Completed by default; `status=Failed` works the same)."""
    return _status_changed(_breach_fields(f))


def _breach_completed(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """RunCompleted of a tagged monitor run: the twin of `monitor_breach` (give both the same run_id)."""
    return _completed(_breach_fields(f))


def _monitor_failed(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """A monitor run that failed without the tag: the monitor's own failure (compute, data access)."""
    return _status_changed({"experiment": f.get("monitor", MONITOR), "status": "Failed", **f})


def _unknown_status(f: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """RunStatusChanged with a status Azure ML may add one day (ignored with a note, never rejected)."""
    return _status_changed({"status": "Hibernating", **f})


_BODIES = {
    "model_registered": _registered,
    "model_deployed": _deployed,
    "run_completed": _completed,
    "run_status_changed": _status_changed,
    "dataset_drift": _drift,
    "monitor_breach": _breach,
    "monitor_breach_completed": _breach_completed,
    "monitor_failed": _monitor_failed,
    "unknown_status": _unknown_status,
}
