"""Parse Event Grid / CloudEvents deliveries into typed, frozen events that keep the raw payload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.core.errors import InvalidEvent
from shared.core.event_types import (
    APPROVAL_DECIDED,
    BREACH_TAG,
    DATASET_DRIFT,
    DEPLOYMENT_REPORTED,
    FAILED_STATUSES,
    INTERNAL_LOWER,
    INTERNAL_TYPES,
    MODEL_DEPLOYED,
    MODEL_REGISTERED,
    RUN_COMPLETED,
    RUN_STATUS_CHANGED,
    TERMINAL_STATUSES,
    ApprovalDecided,
    DeploymentReported,
    DriftDetected,
    Event,
    Ignored,
    ModelDeployed,
    ModelRegistered,
    RunFinished,
)

__all__ = [
    "APPROVAL_DECIDED",
    "BREACH_TAG",
    "DATASET_DRIFT",
    "DEPLOYMENT_REPORTED",
    "FAILED_STATUSES",
    "INTERNAL_LOWER",
    "INTERNAL_TYPES",
    "MODEL_DEPLOYED",
    "MODEL_REGISTERED",
    "RUN_COMPLETED",
    "RUN_STATUS_CHANGED",
    "TERMINAL_STATUSES",
    "ApprovalDecided",
    "DeploymentReported",
    "DriftDetected",
    "Event",
    "Ignored",
    "ModelDeployed",
    "ModelRegistered",
    "RunFinished",
    "parse",
    "split_delivery",
]

_STATUSES = {
    s.lower(): s
    for s in [
        "NotStarted",
        "Queued",
        "Preparing",
        "Provisioning",
        "Starting",
        "Running",
        "CancelRequested",
        "Canceled",
        "Finalizing",
        "Completed",
        "Failed",
        "Paused",
        "NotResponding",
    ]
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")
_SIGNAL = re.compile(r"The signal '([^']+)'")

def split_delivery(body: Any) -> list[Mapping[str, Any]]:
    """A delivery is one event object or an array of them."""
    items = body if isinstance(body, list) else [body]
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidEvent(f"[{i}]", "a JSON object (one event)", item)
    return items


def parse(raw: Mapping[str, Any], *, internal: bool = False) -> Event:
    """Parse one event in either schema; unknown types come back as `Ignored`.

    `internal` admits our own event types (deployment reports, approvals); they never come from Event Grid.
    """
    env = {k.lower(): v for k, v in raw.items()}
    cloud = "specversion" in env
    event_id = _text(env, "id", "id")
    etype = _text(env, "type" if cloud else "eventtype", "type" if cloud else "eventType")
    source = _text(env, "source" if cloud else "topic", "source" if cloud else "topic")
    subject = env.get("subject") or ""
    if not isinstance(subject, str):
        raise InvalidEvent("subject", "a string", subject)
    when = env.get("time" if cloud else "eventtime") or ""
    base: dict[str, Any] = dict(id=event_id, type=etype, source=source, subject=subject, time=str(when), raw=raw)
    builder = _BUILDERS.get(etype.lower())
    if builder is None or (etype.lower() in INTERNAL_LOWER and not internal):
        return Ignored(**base, reason=f"event type {etype!r} is not one this app reacts to")
    data = env.get("data")
    if not isinstance(data, Mapping):
        raise InvalidEvent("data", "a JSON object", data)
    return builder(base, {k.lower(): v for k, v in data.items()})


def _text(data: Mapping[str, Any], key: str, name: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(name, "a non-empty string", value)
    return value.strip()


def _name(data: Mapping[str, Any], key: str, name: str) -> str:
    value = _text(data, key, name)
    if not _NAME.match(value):
        raise InvalidEvent(name, "a name of letters, digits, '_', '.', '-' (at most 255)", value)
    return value


def _version(data: Mapping[str, Any], key: str, name: str) -> str:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidEvent(name, "a version as an integer or a string", value)
    text = str(value).strip()
    if not _NAME.match(text):
        raise InvalidEvent(name, "a version of letters, digits, '_', '.', '-'", value)
    return text


def _tags(data: Mapping[str, Any], key: str, name: str) -> dict[str, str]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent(name, "an object of tags", value)
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _status(data: Mapping[str, Any]) -> str:
    value = _text(data, "runstatus", "data.runStatus")
    status = _STATUSES.get(value.lower())
    if status is None:
        raise InvalidEvent("data.runStatus", f"one of {', '.join(_STATUSES.values())}", value)
    return status


def _model_registered(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    return ModelRegistered(
        **base,
        model=_name(data, "modelname", "data.modelName"),
        version=_version(data, "modelversion", "data.modelVersion"),
        tags=_tags(data, "modeltags", "data.modelTags"),
    )


def _model_deployed(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    ids = _text(data, "modelids", "data.modelIds")
    models = []
    for item in ids.split(","):
        name, sep, version = item.strip().rpartition(":")
        if not sep or not _NAME.match(name) or not _NAME.match(version):
            raise InvalidEvent("data.modelIds", "a comma-separated list of name:version", ids)
        models.append((name, version))
    return ModelDeployed(
        **base,
        service=_text(data, "servicename", "data.serviceName"),
        models=tuple(models),
        tags=_tags(data, "servicetags", "data.serviceTags"),
    )


def _run(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    completed = base["type"].lower() == RUN_COMPLETED.lower()
    status = "Completed" if completed else _status(data)
    run_id = _text(data, "runid", "data.runId")
    experiment = _text(data, "experimentname", "data.experimentName", required=False) or _text(
        data, "experimentid", "data.experimentId"
    )
    tags = _tags(data, "runtags", "data.runTags")
    breach = next((v for k, v in tags.items() if k.lower() == BREACH_TAG), None)
    if breach is not None and not completed:
        if status != "Failed":
            return Ignored(**base, reason=f"model monitor run {run_id} is {status}: not a threshold breach")
        match = _SIGNAL.search(breach)
        monitor = match.group(1) if match else experiment
        return DriftDetected(**base, monitor=monitor, run_id=run_id, detail=breach[:2000])
    if status not in TERMINAL_STATUSES:
        return Ignored(**base, reason=f"run {run_id} is {status}: not a terminal status")
    return RunFinished(**base, run_id=run_id, experiment=experiment, status=status, tags=tags)


def _drift(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    coefficient = data.get("driftcoefficient")
    return DriftDetected(
        **base,
        monitor=_text(data, "datadriftname", "data.dataDriftName"),
        run_id=_text(data, "runid", "data.runId"),
        detail="" if coefficient is None else f"drift coefficient {coefficient}",
    )


def _deployment(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    environment = _text(data, "environment", "environment").lower()
    if environment not in ("staging", "production"):
        raise InvalidEvent("environment", "'staging' or 'production'", environment)
    status = _text(data, "status", "status", required=False).lower() or "succeeded"
    if status not in ("succeeded", "failed"):
        raise InvalidEvent("status", "'succeeded' or 'failed'", status)
    run_url = data.get("run_url") or ""
    if not isinstance(run_url, str) or (run_url and not run_url.startswith(("https://", "http://"))):
        raise InvalidEvent("run_url", "an http(s) URL", run_url)
    return DeploymentReported(
        **base,
        model=_name(data, "model", "model"),
        version=_version(data, "version", "version"),
        environment=environment,
        succeeded=status == "succeeded",
        run_url=run_url,
    )


def _approval(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    decision = _text(data, "decision", "decision").lower()
    if decision not in ("approve", "reject"):
        raise InvalidEvent("decision", "'approve' or 'reject'", decision)
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise InvalidEvent("comment", "a string", comment)
    return ApprovalDecided(
        **base,
        model=_name(data, "model", "model"),
        version=_version(data, "version", "version"),
        approved=decision == "approve",
        approver=_text(data, "approver", "approver")[:200],
        comment=comment[:2000],
    )


_BUILDERS = {
    MODEL_REGISTERED.lower(): _model_registered,
    MODEL_DEPLOYED.lower(): _model_deployed,
    RUN_COMPLETED.lower(): _run,
    RUN_STATUS_CHANGED.lower(): _run,
    DATASET_DRIFT.lower(): _drift,
    DEPLOYMENT_REPORTED.lower(): _deployment,
    APPROVAL_DECIDED.lower(): _approval,
}
