"""Reading the fields of an event: each problem is an InvalidEvent naming the field and the expectation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.core.errors import InvalidEvent, PermanentError

_KNOWN = "NotStarted Queued Preparing Provisioning Starting Running CancelRequested Canceled Finalizing Completed"
STATUSES = {s.lower(): s for s in (*_KNOWN.split(), "Failed", "Paused", "NotResponding")}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")


def canonical_version(value: Any, name: str = "version") -> str:
    """A model version as the one string every edge uses: 3, "3" and " 3 " are all "3"."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidEvent(name, "a version as an integer or a string", value)
    text = str(value).strip()
    if not NAME.match(text):
        raise InvalidEvent(name, "a version of letters, digits, '_', '.', '-'", value)
    return text


class Refused(InvalidEvent):
    """An event refused at the edge (too large, nested too deep): the message says why."""

    def __init__(self, problem: str) -> None:
        PermanentError.__init__(self, f"invalid event: {problem}")
        self.field = "(event)"


CLOUD = ("type", "source", "time")
GRID = ("eventType", "topic", "eventTime")


def envelope(env: Mapping[str, Any], name: str, cloud: bool) -> str:
    """An envelope field; when missing but the other schema's field is there, say which schema was assumed."""
    other = dict(zip(CLOUD, GRID, strict=True)) if cloud else dict(zip(GRID, CLOUD, strict=True))
    if env.get(name.lower()) is None and env.get(other[name].lower()) is not None:
        schema = "CloudEvents 1.0 (it has specversion)" if cloud else "the Event Grid schema (it has no specversion)"
        raise InvalidEvent(
            name, f"a non-empty string: the event is read as {schema}, where '{other[name]}' is not a field"
        )
    return text(env, name.lower(), name)


def text(data: Mapping[str, Any], key: str, name: str, *, required: bool = True) -> str:
    """A required (or optional: '') non-empty string, stripped."""
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(name, "a non-empty string", value)
    return value.strip()


def name(data: Mapping[str, Any], key: str, name: str) -> str:
    """A model, service or monitor name."""
    value = text(data, key, name)
    if not NAME.match(value):
        raise InvalidEvent(name, "a name of letters, digits, '_', '.', '-' (at most 255)", value)
    return value


def version(data: Mapping[str, Any], key: str, name: str) -> str:
    """A model version, canonical."""
    return canonical_version(data.get(key), name)


def tags(data: Mapping[str, Any], key: str, name: str) -> dict[str, str]:
    """An object of tags, values as strings."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent(name, "an object of tags", value)
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")


def model_type(data: Mapping[str, Any]) -> str | None:
    """The registered model's type when the data carries one we can bind (modelType); else None."""
    value = data.get("modeltype")
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if text in MODEL_TYPES else None


def status(data: Mapping[str, Any]) -> str:
    """The run status in its canonical casing; a status this app does not know comes back as sent (see known)."""
    value = text(data, "runstatus", "data.runStatus")
    return STATUSES.get(value.lower(), value)


def known(status: str) -> bool:
    """Whether a run status is one Azure ML documents (a new one is ignored, never rejected)."""
    return status in STATUSES.values()


_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")


def timestamp(env: Mapping[str, Any], name: str) -> datetime | None:
    """An envelope time (RFC 3339, any number of fractional digits) as an aware datetime; absent: None."""
    value = env.get(name.lower())
    if value is None or value == "":
        return None
    match = _RFC3339.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidEvent(name, "an RFC 3339 timestamp with a time zone, e.g. 2026-11-22T09:00:00Z", value)
    day, clock, fraction, zone = match.groups()
    micro = f".{(fraction or '0')[:6].ljust(6, '0')}"
    try:
        return datetime.fromisoformat(f"{day}T{clock}{micro}{'+00:00' if zone in 'Zz' else zone}")
    except ValueError as exc:
        raise InvalidEvent(name, f"an RFC 3339 timestamp ({exc})", value) from exc


# Where a registration may say who registered or trained the model (tags first, then properties).
REGISTRANT_KEYS = ("registered_by", "registeredby", "created_by", "createdby", "trained_by", "trainedby", "mlflow.user")


def registrant(data: Mapping[str, Any]) -> str | None:
    """Who registered or trained a model version, if its tags or properties name them (keys in any case)."""
    for where in ("modeltags", "modelproperties"):
        values = data.get(where)
        if not isinstance(values, Mapping):
            continue
        lowered = {str(k).lower(): v for k, v in values.items()}
        for key in REGISTRANT_KEYS:
            value = lowered.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return None
