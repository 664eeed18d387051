"""A model's ledger as pages: newest first, `limit` entries, and an opaque cursor to go on (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.core.dead_letters import DEFAULT_LIMIT, MAX_LIMIT, BadQuery, decode_cursor, encode_cursor
from shared.core.state import LedgerEntry


@dataclass(frozen=True)
class LedgerQuery:
    """A model's entries (of one version, if given), newest first: `limit` of them after `cursor`."""

    model: str
    version: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class LedgerPage:
    """Entries newest first, and the cursor of the next page (None: this was the last)."""

    entries: list[LedgerEntry] = field(default_factory=list)
    next: str | None = None


def ledger_query_from(model: str, version: str | None, params: Mapping[str, Any]) -> LedgerQuery:
    """A query from the text parameters `limit` and `cursor`; BadQuery names an unknown or bad one."""
    for name in params:
        if name not in ("limit", "cursor"):
            raise BadQuery(name, "limit or cursor", params[name])
    text = {k: str(v).strip() for k, v in params.items() if v is not None and str(v).strip() != ""}
    limit = text.get("limit", str(DEFAULT_LIMIT))
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        raise BadQuery("limit", f"a whole number from 1 to {MAX_LIMIT}", limit)
    cursor = text.get("cursor")
    if cursor is not None:
        position(cursor)
    return LedgerQuery(model=model, version=version, limit=int(limit), cursor=cursor)


def position(cursor: str) -> tuple[str, str]:
    """A ledger cursor's (where, key): a store's own place to go on from; BadQuery('cursor') if it is not one."""
    found = decode_cursor(cursor)
    if len(found) != 2 or not all(isinstance(p, str) for p in found):
        raise BadQuery("cursor", "a cursor from a previous page ('next')", cursor)
    return str(found[0]), str(found[1])


def cursor_at(where: str, key: str) -> str:
    """The cursor of a store's place (where: which rows, key: the last one shown)."""
    return encode_cursor([where, key])
