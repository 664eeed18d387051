"""Parse Event Grid / CloudEvents deliveries into typed, frozen events that keep the raw payload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.core import event_fields as f
from shared.core import event_types as et
from shared.core.errors import InvalidEvent
from shared.core.event_types import (
    APPROVAL_DECIDED,
    APPROVAL_EXPIRED,
    APPROVAL_REQUESTED,
    BREACH_TAG,
    DATASET_DRIFT,
    DEPLOYMENT_REPORTED,
    FAILED_STATUSES,
    INTERNAL_LOWER,
    INTERNAL_TYPES,
    JOB_RECONCILED,
    MODEL_DEPLOYED,
    MODEL_REGISTERED,
    RECONCILE_FINDING,
    RESOURCE_WRITE,
    ROLLOUT_OBSERVED,
    RUN_COMPLETED,
    RUN_STATUS_CHANGED,
    TERMINAL_STATUSES,
    ApprovalDecided,
    ApprovalExpired,
    ApprovalRequested,
    DeploymentReported,
    DriftDetected,
    EndpointWritten,
    Event,
    Ignored,
    ModelDeployed,
    ModelRegistered,
    ReconcileFinding,
    RolloutObserved,
    RunFinished,
)
from shared.core.payload import REFUSED
from shared.core.resource_events import endpoint_written
from shared.core.rollout_event import parse_rollout
from shared.core.silences import SCOPES

__all__ = [
    "APPROVAL_DECIDED",
    "APPROVAL_EXPIRED",
    "APPROVAL_REQUESTED",
    "BREACH_TAG",
    "DATASET_DRIFT",
    "DEPLOYMENT_REPORTED",
    "FAILED_STATUSES",
    "INTERNAL_LOWER",
    "INTERNAL_TYPES",
    "MODEL_DEPLOYED",
    "MODEL_REGISTERED",
    "RESOURCE_WRITE",
    "ROLLOUT_OBSERVED",
    "RUN_COMPLETED",
    "RUN_STATUS_CHANGED",
    "TERMINAL_STATUSES",
    "ApprovalDecided",
    "ApprovalExpired",
    "ApprovalRequested",
    "DeploymentReported",
    "DriftDetected",
    "EndpointWritten",
    "Event",
    "Ignored",
    "ModelDeployed",
    "ModelRegistered",
    "ReconcileFinding",
    "RolloutObserved",
    "RunFinished",
    "parse",
    "split_delivery",
]

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
    Every problem is an InvalidEvent naming the field and the expectation, whatever the value's type.
    """
    env = {str(k).lower(): v for k, v in raw.items()}
    if REFUSED in env:
        raise f.Refused(str(env[REFUSED]))
    cloud = "specversion" in env
    names = f.CLOUD if cloud else f.GRID
    event_id = f.text(env, "id", "id")
    etype = f.envelope(env, names[0], cloud)
    source = f.envelope(env, names[1], cloud)
    subject = env.get("subject") or ""
    if not isinstance(subject, str):
        raise InvalidEvent("subject", "a string", subject)
    when = f.timestamp(env, names[2])
    base: dict[str, Any] = dict(id=event_id, type=etype, source=source, subject=subject, time=when, raw=raw)
    builder = _BUILDERS.get(etype.lower())
    if builder is None or (etype.lower() in INTERNAL_LOWER and not internal):
        return Ignored(**base, reason=f"event type {etype!r} is not one this app reacts to")
    data = env.get("data")
    if not isinstance(data, Mapping):
        raise InvalidEvent("data", "a JSON object", data)
    return builder(base, {str(k).lower(): v for k, v in data.items()})


def _model_registered(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    return ModelRegistered(
        **base,
        model=f.name(data, "modelname", "data.modelName"),
        version=f.version(data, "modelversion", "data.modelVersion"),
        tags=f.tags(data, "modeltags", "data.modelTags"),
        model_type=f.model_type(data),
        registered_by=f.registrant(data),
    )


def _model_deployed(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    ids = f.text(data, "modelids", "data.modelIds")
    models = []
    for item in ids.split(","):
        name, sep, version = item.strip().rpartition(":")
        if not sep or not f.NAME.match(name) or not f.NAME.match(version):
            raise InvalidEvent("data.modelIds", "a comma-separated list of name:version", ids)
        models.append((name, version))
    return ModelDeployed(
        **base,
        service=f.text(data, "servicename", "data.serviceName"),
        models=tuple(models),
        tags=f.tags(data, "servicetags", "data.serviceTags"),
    )


def _run(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    completed = base["type"].lower() == RUN_COMPLETED.lower()
    status = "Completed" if completed else f.status(data)
    run_id = f.text(data, "runid", "data.runId")
    experiment = f.text(data, "experimentname", "data.experimentName", required=False) or f.text(
        data, "experimentid", "data.experimentId"
    )
    tags = f.tags(data, "runtags", "data.runTags")
    if not f.known(status):
        return Ignored(**base, reason=f"run {run_id} has status {status!r}, which this app does not know: ignored")
    if status not in TERMINAL_STATUSES:
        return Ignored(**base, reason=f"run {run_id} is {status}: not a terminal status")
    breach = next((v for k, v in tags.items() if k.lower() == BREACH_TAG), None)
    if breach is not None:  # the monitor tags the run and lets it finish: the tag is the signal, whatever the status
        match = _SIGNAL.search(breach)
        monitor = match.group(1) if match else experiment
        return DriftDetected(**base, monitor=monitor, run_id=run_id, detail=breach[:2000])
    return RunFinished(**base, run_id=run_id, experiment=experiment, status=status, tags=tags)


def _drift(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    coefficient = data.get("driftcoefficient")
    return DriftDetected(
        **base,
        monitor=f.text(data, "datadriftname", "data.dataDriftName"),
        run_id=f.text(data, "runid", "data.runId"),
        detail="" if coefficient is None else f"drift coefficient {coefficient}",
        legacy=True,
    )


def _deployment(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    environment = f.text(data, "environment", "environment").lower()
    if environment not in ("staging", "production"):
        raise InvalidEvent("environment", "'staging' or 'production'", environment)
    status = f.text(data, "status", "status", required=False).lower() or "succeeded"
    if status not in ("succeeded", "failed"):
        raise InvalidEvent("status", "'succeeded' or 'failed'", status)
    run_url = data.get("run_url") or ""
    if not isinstance(run_url, str) or (run_url and not run_url.startswith(("https://", "http://"))):
        raise InvalidEvent("run_url", "an http(s) URL", run_url)
    return DeploymentReported(
        **base,
        model=f.name(data, "model", "model"),
        version=f.version(data, "version", "version"),
        environment=environment,
        succeeded=status == "succeeded",
        run_url=run_url,
    )


def _approval(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    decision = f.text(data, "decision", "decision").lower()
    if decision not in ("approve", "reject"):
        raise InvalidEvent("decision", "'approve' or 'reject'", decision)
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise InvalidEvent("comment", "a string", comment)
    return ApprovalDecided(
        **base,
        model=f.name(data, "model", "model"),
        version=f.version(data, "version", "version"),
        approved=decision == "approve",
        approver=f.text(data, "approver", "approver")[:200],
        comment=comment[:2000],
    )


FINDINGS = ("job_lost", "cd_check", "workspace_silent")


def _finding(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    kind = f.text(data, "kind", "kind")
    if kind not in FINDINGS:
        raise InvalidEvent("kind", " or ".join(repr(k) for k in FINDINGS), kind)
    job = f.text(data, "job", "job", required=kind != "workspace_silent")[:500]
    last_seen = f.text(data, "lastseen", "last_seen", required=kind == "workspace_silent")[:100]
    cd = kind == "cd_check"
    environment = f.text(data, "environment", "environment", required=cd).lower()
    if cd and environment not in ("staging", "production"):
        raise InvalidEvent("environment", "'staging' or 'production'", environment)
    run_url = data.get("runurl") or ""
    if not isinstance(run_url, str) or (run_url and not run_url.startswith(("https://", "http://"))):
        raise InvalidEvent("run_url", "an http(s) URL", run_url)
    return ReconcileFinding(
        **base,
        kind=kind,
        job=job,
        model=f.name(data, "model", "model") if cd else "",
        version=f.version(data, "version", "version") if cd else "",
        environment=environment,
        run_url=run_url,
        last_seen=last_seen,
        request=f.text(data, "request", "request", required=False)[:40],
    )


def _approval_expired(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    return ApprovalExpired(
        **base,
        model=f.name(data, "model", "model"),
        version=f.version(data, "version", "version"),
        request=f.text(data, "request", "request"),
    )


def _approval_requested(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    return ApprovalRequested(
        **base,
        model=f.name(data, "model", "model"),
        version=f.version(data, "version", "version"),
        by=f.text(data, "by", "by")[:200],
    )


_BUILDERS = {
    MODEL_REGISTERED.lower(): _model_registered,
    MODEL_DEPLOYED.lower(): _model_deployed,
    RUN_COMPLETED.lower(): _run,
    RUN_STATUS_CHANGED.lower(): _run,
    DATASET_DRIFT.lower(): _drift,
    DEPLOYMENT_REPORTED.lower(): _deployment,
    APPROVAL_DECIDED.lower(): _approval,
    APPROVAL_EXPIRED.lower(): _approval_expired,
    APPROVAL_REQUESTED.lower(): _approval_requested,
    RESOURCE_WRITE.lower(): endpoint_written,
    JOB_RECONCILED.lower(): _run,  # reconcile's own report of a final status: the same decision as the real event
    RECONCILE_FINDING.lower(): _finding,
    ROLLOUT_OBSERVED.lower(): parse_rollout,
}


def _silence_set(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    scope = f.text(data, "scope", "scope").lower()
    if scope not in SCOPES:
        raise InvalidEvent("scope", f"one of {', '.join(SCOPES)}", scope)
    until = f.timestamp(data, "until")
    if until is None:
        raise InvalidEvent("until", "an RFC 3339 timestamp with a time zone, e.g. 2026-11-22T09:00:00Z", None)
    return et.SilenceSet(
        **base,
        silence=f.name(data, "silence", "silence"),
        scope=scope,
        pattern=f.text(data, "pattern", "pattern")[:200],
        until=until,
        by=f.text(data, "by", "by")[:200],
        why=f.text(data, "why", "why")[:2000],
        notify=f.text(data, "notify", "notify", required=False)[:200],
    )


def _silence_expired(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    return et.SilenceExpired(
        **base,
        silence=f.name(data, "silence", "silence"),
        by=f.text(data, "by", "by")[:200],
        why=f.text(data, "why", "why", required=False)[:2000],
    )


def _budget_reset(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    return et.RetrainBudgetReset(
        **base,
        model=f.name(data, "model", "model"),
        by=f.text(data, "by", "by")[:200],
        why=f.text(data, "why", "why")[:2000],
    )


_BUILDERS.update(
    {
        et.SILENCE_SET.lower(): _silence_set,
        et.SILENCE_EXPIRED.lower(): _silence_expired,
        et.RETRAIN_BUDGET_RESET.lower(): _budget_reset,
    }
)
