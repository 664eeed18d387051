"""Untrusted JSON made safe at the edge: bounded size and depth, and strings every store and file can take.

Strings are *sanitized*, not escaped: a lone surrogate (U+D800..U+DFFF, which UTF-8 cannot encode) and NUL
(which C strings, SQLite text functions and some file formats cut at) each become U+FFFD, the replacement
character. What is stored is then valid Unicode, shown escaped like any other text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from shared.core.errors import PermanentError

MAX_DEPTH = 32  # Azure ML events nest 4 levels; anything near Python's recursion limit is refused long before it
REFUSED = "mlopsreactor_refused"  # the key of a stand-in for an event refused at the edge (events.parse rejects it)
REPLACEMENT = "\ufffd"
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_ENVELOPE = frozenset({"specversion", "id", "type", "eventtype", "source", "topic", "subject", "time", "eventtime"})


class BadBody(PermanentError):
    """A request body refused before anything runs; `status` is the HTTP answer (400, or 413 when too large)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Sanitized:
    """A sanitized copy of a JSON value; `problem` says why it must be refused (None: it may go on)."""

    value: Any
    problem: str | None = None


def clean_text(text: str) -> str:
    """`text` with every lone surrogate and NUL replaced by U+FFFD."""
    return _UNSAFE.sub(REPLACEMENT, text)


def nesting(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest, counted without parsing it (no recursion)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def too_large(size: int, max_bytes: int) -> BadBody:
    """The 413 for a body of `size` bytes above the limit."""
    return BadBody(f"the body is {size} bytes: above the limit of {max_bytes} bytes (REACTOR_MAX_BODY_BYTES)", 413)


def loads(raw: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """A request body as sanitized JSON (None when empty); BadBody when too large, not JSON or nested too deep."""
    if len(raw) > max_bytes:
        raise too_large(len(raw), max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody(f"the body is not UTF-8 text: {exc}") from exc
    if not text.strip():
        return None
    if text.count("[") + text.count("{") > max_depth and nesting(text) > max_depth:
        raise BadBody(f"the body nests arrays and objects more than {max_depth} levels deep")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadBody(f"the body is not JSON: {str(exc)[:200]}") from exc
    found = sanitize(value, max_depth=max_depth)
    if found.problem:
        raise BadBody(found.problem)
    return found.value


def sanitize(value: Any, *, max_depth: int = MAX_DEPTH, max_bytes: int | None = None) -> Sanitized:
    """A copy with clean strings (keys too), walked without recursion; refused when too deep or too large.

    The size counted is a lower bound of the value's JSON text, so only what is surely too large is refused.
    """
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 1)]
    size = 0
    while stack:
        item, parent, key, depth = stack.pop()
        if isinstance(item, Mapping | list | tuple):
            if depth > max_depth:
                return Sanitized(None, f"the value nests arrays and objects more than {max_depth} levels deep")
            copy: Any
            if isinstance(item, Mapping):
                copy = {clean_text(str(k)): None for k in item}
                stack.extend((v, copy, clean_text(str(k)), depth + 1) for k, v in item.items())
                size += sum(len(str(k)) + 4 for k in item) + 2
            else:
                copy = [None] * len(item)
                stack.extend((v, copy, i, depth + 1) for i, v in enumerate(item))
                size += len(item) + 2
            parent[key] = copy
        else:
            parent[key] = clean_text(item) if isinstance(item, str) else item
            size += len(item) + 2 if isinstance(item, str) else 1
        if max_bytes is not None and size > max_bytes:
            return Sanitized(None, f"the event is more than {max_bytes} bytes (REACTOR_MAX_BODY_BYTES)")
    return Sanitized(root[0])


def guard_event(raw: Mapping[str, Any], *, max_bytes: int) -> dict[str, Any]:
    """What the core may see of one delivered event: sanitized, or a small stand-in saying why it was refused.

    The stand-in keeps the envelope's short strings, so the refusal is dead-lettered under the event's id.
    """
    found = sanitize(raw, max_bytes=max_bytes)
    if found.problem is None and isinstance(found.value, dict):
        return found.value
    problem = found.problem or "an event must be a JSON object"
    kept = {k: clean_text(v)[:300] for k, v in raw.items() if str(k).lower() in _ENVELOPE and isinstance(v, str)}
    return {**kept, REFUSED: problem}
