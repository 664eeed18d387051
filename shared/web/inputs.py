"""Request bodies read at the edge: bounded, sanitized, and approvals normalized before the core sees them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from shared.core.payload import BadBody, clean_text, loads, too_large

DECISIONS = ("approve", "reject")
APPROVAL_FIELDS = ("decision", "comment", "approver")
_LIMITS = {"decision": 20, "comment": 2000, "approver": 200}


def approval_body(raw: bytes, content_type: str, *, max_bytes: int) -> Any:
    """The fields of an approval POST: a JSON object, or a urlencoded form (what the approval page sends)."""
    if len(raw) > max_bytes:
        raise too_large(len(raw), max_bytes)
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        return loads(raw, max_bytes=max_bytes)
    if kind not in ("", "application/x-www-form-urlencoded"):
        raise BadBody(f"an approval is sent as JSON or as a urlencoded form, not {kind!r}")
    try:
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=len(APPROVAL_FIELDS) + 1)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadBody(f"the form is not readable: {str(exc)[:200]}") from exc
    twice = sorted(name for name, values in form.items() if len(values) > 1)
    if twice:
        raise BadBody(f"field {clean_text(twice[0])!r} is given more than once: an approval takes it once")
    return {clean_text(name): clean_text(values[0]) for name, values in form.items()}


def approval_fields(fields: Any) -> dict[str, str]:
    """decision ('approve' or 'reject', any case, spaces around ignored), comment, approver: checked strings.

    Anything else is a BadBody naming the problem: not an object, an unknown field, a value that is not a string.
    """
    if not isinstance(fields, Mapping):
        raise BadBody(f"an approval is an object with {', '.join(APPROVAL_FIELDS)} (got {type(fields).__name__})")
    unknown = sorted(str(name) for name in fields if name not in APPROVAL_FIELDS)
    if unknown:
        shown = ", ".join(repr(clean_text(name[:40])) for name in unknown[:5])
        raise BadBody(f"unexpected field(s) {shown}: an approval takes {', '.join(APPROVAL_FIELDS)}")
    checked: dict[str, str] = {}
    for name in APPROVAL_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise BadBody(f"field {name!r} must be a string (got {type(value).__name__})")
        if len(value) > _LIMITS[name]:
            raise BadBody(f"field {name!r} is longer than {_LIMITS[name]} characters")
        checked[name] = clean_text(value).strip()
    decision = checked.get("decision", "").lower()
    if decision not in DECISIONS:
        got = f"got {checked['decision']!r}" if "decision" in checked else "missing"
        raise BadBody(f"field 'decision' must be one of {', '.join(DECISIONS)} ({got})")
    return {**checked, "decision": decision}
