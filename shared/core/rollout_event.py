"""The rollout timer's internal events: built from a step (their ids name the step), and parsed back
(MLOpsReactor.RolloutObserved; each problem names the field)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.core import event_fields as f
from shared.core.errors import InvalidEvent
from shared.core.event_types import DEPLOYMENT_REPORTED, ROLLOUT_OBSERVED, Event, RolloutObserved
from shared.core.rollout import PAGES, REPORTS, Step

STEPS = ("mirror", "canary", "full", "rollback", "retire", "cleanup", "failed", "timeout", "rollback_failed")


def parse_rollout(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    """A RolloutObserved from its (lower-cased) data keys."""
    step = f.text(data, "step", "step")
    if step not in STEPS:
        raise InvalidEvent("step", f"one of {', '.join(STEPS)}", step)
    environment = f.text(data, "environment", "environment")
    if environment not in ("staging", "production"):
        raise InvalidEvent("environment", "'staging' or 'production'", environment)
    reason = data.get("reason") or ""
    if not isinstance(reason, str):
        raise InvalidEvent("reason", "a string", reason)
    health = data.get("health") or {}
    if not isinstance(health, Mapping):
        raise InvalidEvent("health", "a JSON object", health)
    delete = data.get("delete") or []
    if not isinstance(delete, list) or not all(isinstance(n, str) and f.NAME.match(n) for n in delete):
        raise InvalidEvent("delete", "a list of deployment names", delete)
    return RolloutObserved(
        **base,
        model=f.name(data, "model", "model"),
        version=f.version(data, "version", "version"),
        environment=environment,
        step=step,
        target=f.text(data, "target", "target"),
        deployment=f.text(data, "deployment", "deployment"),
        traffic=_shares(data, "traffic"),
        mirror=_shares(data, "mirror"),
        delete=tuple(delete),
        reason=reason[:2000],
        health=dict(health),
    )


def _shares(data: Mapping[str, Any], key: str) -> dict[str, int]:
    value = data.get(key) or {}
    ok = isinstance(value, Mapping) and all(
        isinstance(k, str) and f.NAME.match(k) and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100
        for k, v in value.items()
    )
    if not ok:
        raise InvalidEvent(key, "an object of deployment name -> percent (0-100)", value)
    return dict(value)


def step_id(step: Step) -> str:
    """The id of a step's event: the step itself (a page also names its environment)."""
    d = step.deployment
    return f"rollout:{d.model}:{d.version}:{step.name}" + (f":{d.environment}" if step.name in PAGES else "")


def not_applied(step: Step) -> Step:
    """A traffic step decided and carried out before that the endpoint does not show: refused; page and stop."""
    reason = f"the {step.name} step was refused by the endpoint (see the ledger of {step_id(step)})"
    return Step(name="failed", target=step.target, deployment=step.deployment, reason=reason)


def step_event(step: Step, workspace_id: str, now: datetime) -> dict[str, Any]:
    """The internal event that feeds a step into the core; its id names the step, so two timers make one."""
    d = step.deployment
    base = {
        "specversion": "1.0",
        "id": step_id(step),
        "source": workspace_id,
        "subject": f"models/{d.model}:{d.version}",
        "time": now.isoformat(),
    }
    if step.name in REPORTS:
        data = {"model": d.model, "version": d.version, "environment": step.name, "status": "succeeded"}
        return {**base, "type": DEPLOYMENT_REPORTED, "data": data}
    h = step.health
    detail: dict[str, Any] = {
        "model": d.model,
        "version": d.version,
        "environment": d.environment,
        "step": step.name,
        "target": step.target,
        "deployment": d.name,
        "traffic": dict(step.traffic),
        "mirror": dict(step.mirror),
        "delete": list(step.delete),
        "reason": step.reason,
    }
    if h is not None:
        detail["health"] = {
            "requests": h.requests,
            "errors": h.errors,
            "latency_ms": h.latency_ms,
            "percentile": h.percentile,
            "since": h.since,
            "until": h.until,
        }
    return {**base, "type": ROLLOUT_OBSERVED, "data": detail}
