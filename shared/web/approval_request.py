"""POST /api/approvals/{model}/{version}/request: ask for a fresh approval request (after expiry or new evidence)."""

from __future__ import annotations

from collections.abc import Mapping

from shared.core import events as ev
from shared.core.event_fields import canonical_version
from shared.core.payload import BadBody, clean_text
from shared.engine.reactor import Reactor
from shared.web.answers import MAX_BODY_BYTES, PRINCIPAL_HEADER, Response, answer, internal_event, safely
from shared.web.inputs import approval_body

FRESH_DECISION = "request"  # the approval page's third button posts this decision to the decision URL
_FIELDS = ("approver", "decision", "comment")


def request_fresh(
    reactor: Reactor,
    model: str,
    version: str,
    raw: bytes,
    content_type: str,
    headers: Mapping[str, str],
    *,
    trust_body_identity: bool,
    max_bytes: int = MAX_BODY_BYTES,
) -> Response:
    """Fresh request for a staging version whose request expired or whose evidence changed; who asks is recorded."""

    def run() -> Response:
        fields = approval_body(raw, content_type, max_bytes=max_bytes) if raw.strip() else {}
        return fresh_from_fields(reactor, model, version, fields, headers, trust_body_identity=trust_body_identity)

    return safely(run)


def fresh_from_fields(
    reactor: Reactor,
    model: str,
    version: str,
    fields: object,
    headers: Mapping[str, str],
    *,
    trust_body_identity: bool,
) -> Response:
    """A fresh request from checked fields: `approver` (local mode), and from the page `decision` and `comment`."""
    if not isinstance(fields, Mapping) or any(name not in _FIELDS for name in fields):
        raise BadBody("a fresh request takes one field, 'approver' (who asks; the signed-in user in Azure)")
    body_who = fields.get("approver")
    if body_who is not None and not isinstance(body_who, str):
        raise BadBody(f"field 'approver' must be a string (got {type(body_who).__name__})")
    who = headers.get(PRINCIPAL_HEADER) or (body_who if trust_body_identity else None)
    if not who or not clean_text(who).strip():
        return 401, {"error": "no identity: a fresh approval request records who asked for it; sign in"}
    name, canonical = clean_text(model).strip(), canonical_version(clean_text(version))
    by = clean_text(who).strip()[:200]
    record = reactor.store.get_record(name, canonical)
    seed = {"model": name, "version": canonical, "by": by.lower()}
    seed["request"] = str(record.approval.get("key", "")) if record else ""
    data = {"model": name, "version": canonical, "by": by}
    return answer(internal_event(reactor, ev.APPROVAL_REQUESTED, seed, data))
