"""The app's own dead letters as a query: filters, a page newest first, and an opaque cursor to go on.

Pure: the stores answer a `LetterQuery` with a `LetterPage`; the web and the CLI read one from text.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.core.errors import PermanentError
from shared.core.setting_names import FALSE, TRUE

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

# What a letter is: refused before any decision (`rejected`), or an event that completed with a failed effect.
REJECTED, FAILED = "rejected", "failed"
# Where it stands: `open` (redrive may help), `resolved` (its event completed since), `superseded` (a later letter
# of the same event stands for it), `failed` (completed with an effect that failed: a redrive is a duplicate; a
# forced replay with a reason re-runs it).
OPEN, RESOLVED, SUPERSEDED = "open", "resolved", "superseded"
STATUSES = (OPEN, RESOLVED, SUPERSEDED, FAILED)


class BadQuery(PermanentError):
    """A filter or paging parameter that cannot be read; the message names it."""

    def __init__(self, name: str, expected: str, got: object) -> None:
        super().__init__(f"parameter '{name}' must be {expected} (got {str(got)[:80]!r})")
        self.name = name


@dataclass(frozen=True)
class LetterQuery:
    """Which letters: of one event type, whose reason contains a text, at in [since, until); a page after `cursor`.

    `limit` bounds the rows a store reads for one page: with a reason filter a page may hold fewer (even none)
    while `next` says there is more.
    """

    event_type: str | None = None
    reason: str | None = None
    status: str | None = None  # only letters standing so
    since: str | None = None  # ISO time, UTC, inclusive
    until: str | None = None  # ISO time, UTC, exclusive
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def matches_reason(self, reason: str) -> bool:
        return not self.reason or self.reason.lower() in reason.lower()

    def matches_status(self, status: str) -> bool:
        return not self.status or self.status == status


@dataclass(frozen=True)
class LetterPage:
    """Letters newest first (dicts: event_id, event_type, at, reason, kind, status, raw) and the cursor to go on."""

    letters: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None


def status_of(kind: str | None, completed: bool, newest: bool = True) -> str:
    """Where a letter stands: from its kind, whether its event's claim completed, whether it is the event's newest."""
    if kind == FAILED:
        return FAILED
    if completed:
        return RESOLVED
    return OPEN if newest else SUPERSEDED


def utc_time(name: str, text: str) -> str:
    """An ISO date or time as the stores write `at` (UTC isoformat); a time without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadQuery(name, "an ISO date or time (2026-12-03 or 2026-12-03T10:00:00Z)", text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def query_from(params: Mapping[str, Any], also: tuple[str, ...] = ()) -> LetterQuery:
    """A query from text parameters (type, reason, status, since, until, limit, cursor, and the names in `also`, read by
    the caller); BadQuery names an unknown or bad one."""
    known = {"type", "reason", "status", "since", "until", "limit", "cursor", *also}
    for name in params:
        if name not in known:
            raise BadQuery(name, "one of " + ", ".join(sorted(known)), params[name])
    text = {k: str(v).strip() for k, v in params.items() if v is not None and str(v).strip() != ""}
    limit_text = text.get("limit", str(DEFAULT_LIMIT))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise BadQuery("limit", f"a whole number from 1 to {MAX_LIMIT}", limit_text)
    since = utc_time("since", text["since"]) if "since" in text else None
    until = utc_time("until", text["until"]) if "until" in text else None
    if since and until and since >= until:
        raise BadQuery("until", f"later than since ({since})", until)
    if text.get("status") not in (None, *STATUSES):
        raise BadQuery("status", "one of " + ", ".join(STATUSES), text["status"])
    cursor = text.get("cursor")
    if cursor is not None:
        decode_cursor(cursor)
    return LetterQuery(
        event_type=text.get("type"),
        reason=text.get("reason"),
        status=text.get("status"),
        since=since,
        until=until,
        limit=int(limit_text),
        cursor=cursor,
    )


def encode_cursor(position: list[Any]) -> str:
    """An opaque cursor for a store's position (a short JSON list)."""
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The position a cursor holds; BadQuery('cursor') if it is not one this app made."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadQuery("cursor", "a cursor from a previous page ('next')", cursor) from None
    if not isinstance(position, list) or not position:
        raise BadQuery("cursor", "a cursor from a previous page ('next')", cursor)
    return position


def dry_run_of(value: object) -> bool:
    """`dry_run`: true unless it says false (true/false, 1/0, yes/no, on/off); anything else names the parameter."""
    return yes_no("dry_run", value, default=True)


def yes_no(name: str, value: object, *, default: bool) -> bool:
    """A yes/no parameter (true/false, 1/0, yes/no, on/off; unset: `default`); anything else names it."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise BadQuery(name, "true or false", value)
