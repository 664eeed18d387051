"""Event Grid's own dead letters: the blob layout, what Event Grid adds to each event, and the port to the blobs.

Event Grid writes a delivery it gave up on to the subscription's dead-letter container as
`<SUBSCRIPTION NAME UPPERCASE>/YYYY/M/D/H/<guid>.json` (no zero padding), each event with extra fields:
`deadLetterReason`, `deliveryAttempts`, `lastDeliveryOutcome`, `publishTime`, `lastDeliveryAttemptTime` (Event
Grid schema) or the same in lowercase (CloudEvents). Blobs observed in the wild hold an array of one or more
events, with reasons beyond the documented `MaxDeliveryAttemptsExceeded` (e.g. a probation one); a single
object is read too.
Pure: the adapter (`shared/adapters/deadletter/`) lists, reads and marks the blobs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.core.dead_letters import BadQuery
from shared.core.errors import PermanentError

EXTRA = ("deadLetterReason", "deliveryAttempts", "lastDeliveryOutcome", "publishTime", "lastDeliveryAttemptTime")
_EXTRA_LOWER = {name.lower() for name in EXTRA}  # CloudEvents: the same names in lowercase
REDRIVEN = "reactor_redriven_at"  # blob metadata: when a redrive (not a dry run) ran the blob's events
OUTCOMES = "reactor_outcomes"  # blob metadata: what the redrive's events came to (handled=1,duplicate=0,...)


@dataclass(frozen=True)
class BlobRef:
    """One dead-letter blob as listed: its name, when written (ISO), and its metadata."""

    name: str
    created: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BlobPage:
    """Blobs in name order and the continuation to list the next page (None: the end)."""

    blobs: list[BlobRef]
    next: str | None = None


class LetterBlobs(Protocol):
    """The dead-letter container: list by name prefix (paged), read a blob, set a blob's metadata."""

    def list(self, prefix: str, limit: int, cursor: str | None = None) -> BlobPage:
        """Blobs whose name starts with `prefix`, at most `limit`, after the page `cursor` ends."""
        ...

    def read(self, name: str) -> bytes:
        """A blob's content. PermanentError if there is no such blob."""
        ...

    def mark(self, name: str, metadata: Mapping[str, str]) -> None:
        """Add metadata to a blob (keeping what it has)."""
        ...


@dataclass(frozen=True)
class GivenUp:
    """One event Event Grid gave up on: the event as it was sent (extra fields stripped) and why."""

    event: dict[str, Any]
    reason: str
    last_outcome: str
    attempts: int | None
    published: str

    @property
    def event_id(self) -> str:
        return str(self.event.get("id") or "")

    @property
    def event_type(self) -> str:
        return str(self.event.get("eventType") or self.event.get("type") or "")


def given_up(raw: Mapping[str, Any]) -> GivenUp:
    """Split a dead-lettered event into the original event and Event Grid's account of the delivery."""
    lower = {str(k).lower(): v for k, v in raw.items()}
    event = {k: v for k, v in raw.items() if str(k).lower() not in _EXTRA_LOWER}
    attempts = lower.get("deliveryattempts")
    return GivenUp(
        event=event,
        reason=str(lower.get("deadletterreason") or "unknown"),
        last_outcome=str(lower.get("lastdeliveryoutcome") or "unknown"),
        attempts=int(attempts) if isinstance(attempts, int | str) and str(attempts).isdigit() else None,
        published=str(lower.get("publishtime") or ""),
    )


def read_blob(name: str, body: bytes) -> list[GivenUp]:
    """The events of one dead-letter blob (one object or an array). PermanentError names the blob."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PermanentError(f"dead-letter blob {name!r} is not JSON: {exc}") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or not all(isinstance(item, dict) for item in items):
        raise PermanentError(f"dead-letter blob {name!r} holds no event objects")
    return [given_up(item) for item in items]


def time_prefix(subscription: str | None, date: str | None = None, hour: int | None = None) -> str:
    """The name prefix of one subscription's blobs (of a day, of an hour): `SUB/2026/12/3/` or `SUB/2026/12/3/7/`."""
    if subscription is None:
        if date is not None or hour is not None:
            raise BadQuery("subscription", "given with a date or hour (blob names start with it)", "")
        return ""
    name = subscription.strip().upper()
    if not name or "/" in name:
        raise BadQuery("subscription", "an Event Grid subscription name", subscription)
    if date is None:
        if hour is not None:
            raise BadQuery("date", "given with an hour", "")
        return f"{name}/"
    parts = date.strip().split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise BadQuery("date", "a day as YYYY-MM-DD", date)
    year, month, day = (int(p) for p in parts)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise BadQuery("date", "a day as YYYY-MM-DD", date)
    prefix = f"{name}/{year}/{month}/{day}/"
    if hour is None:
        return prefix
    if not 0 <= hour <= 23:
        raise BadQuery("hour", "a whole number from 0 to 23", hour)
    return f"{prefix}{hour}/"


@dataclass(frozen=True)
class BlobQuery:
    """Which blobs: a name prefix (subscription, day, hour), a page size and where the last page ended."""

    prefix: str = ""
    limit: int = 20
    cursor: str | None = None


def blob_query_from(params: Mapping[str, Any], also: tuple[str, ...] = ()) -> BlobQuery:
    """A blob query from text parameters (subscription, date, hour, limit, cursor, and `also`); BadQuery names one."""
    known = {"subscription", "date", "hour", "limit", "cursor", *also}
    for name in params:
        if name not in known:
            raise BadQuery(name, "one of " + ", ".join(sorted(known)), params[name])
    text = {k: str(v).strip() for k, v in params.items() if v is not None and str(v).strip() != ""}
    limit = text.get("limit", "20")
    if not limit.isdigit() or not 1 <= int(limit) <= 500:
        raise BadQuery("limit", "a whole number from 1 to 500", limit)
    hour = text.get("hour")
    if hour is not None and not hour.isdigit():
        raise BadQuery("hour", "a whole number from 0 to 23", hour)
    prefix = time_prefix(text.get("subscription"), text.get("date"), None if hour is None else int(hour))
    return BlobQuery(prefix=prefix, limit=int(limit), cursor=text.get("cursor"))
