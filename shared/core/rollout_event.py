"""Parse the rollout timer's internal event (MLOpsReactor.RolloutObserved); each problem names the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core import event_fields as f
from shared.core.errors import InvalidEvent
from shared.core.event_types import Event, RolloutObserved

STEPS = ("mirror", "canary", "full", "rollback", "retire", "failed", "timeout", "rollback_failed")


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
