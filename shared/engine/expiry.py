"""Expire approval requests past the policy's expiry: each one through the core, as our own internal event."""

from __future__ import annotations

import hashlib
from datetime import datetime

from shared.core import events as ev
from shared.core.approvals import stamp
from shared.engine.outcome import Outcome
from shared.engine.reactor import Reactor


def expired_event(workspace_id: str, model: str, version: str, request: str, now: datetime) -> dict[str, object]:
    """The internal event that expires one request; its id comes from the request, so two timers expire it once."""
    digest = hashlib.sha256(request.encode()).hexdigest()[:24]
    return {
        "specversion": "1.0",
        "id": f"ApprovalExpired-{digest}",
        "type": ev.APPROVAL_EXPIRED,
        "source": workspace_id,
        "subject": f"models/{model}:{version}",
        "time": now.isoformat(),
        "data": {"model": model, "version": version, "request": request},
    }


def expire_approvals(reactor: Reactor, now: datetime, limit: int = 100) -> list[Outcome]:
    """Staging versions whose approval request expired by `now` (at most `limit`, soonest first), each expired.

    Idempotent: a request expired once is no longer due, and a second timer's event is a duplicate.
    """
    if reactor.problems:  # the adapters the configuration names cannot run; the requests wait for the fix
        return []
    due = reactor.store.due_approvals(stamp(now), limit)
    outcomes = []
    for record in due:
        request = str(record.approval.get("key", ""))
        if request:
            raw = expired_event(reactor.workspace_id, record.model, record.version, request, now)
            outcomes.append(reactor.handle(raw, internal=True))
    return outcomes
