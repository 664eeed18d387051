"""Silences for the engine: setting and ending them through the core, and ending those whose time passed
(the active ones are cached per process: `silence_cache`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.core.event_types import SILENCE_EXPIRED, SILENCE_SET
from shared.core.guards import REACTOR
from shared.engine.silence_cache import MAX_ACTIVE

if TYPE_CHECKING:
    from shared.engine.outcome import Outcome
    from shared.engine.reactor import Reactor


def expire_silences(reactor: Reactor, now: datetime, limit: int = 100) -> list[Outcome]:
    """End each silence whose time has passed (at most `limit` per call), each through the core, which sends the
    notice of what it held back. Idempotent: a silence ended twice (here and by a person) is ended once."""
    due = [s for s in reactor.store.silences(limit=MAX_ACTIVE) if datetime.fromisoformat(s.until) <= now]
    return [end_silence(reactor, s.id, REACTOR, "") for s in due[:limit]]


def end_silence(reactor: Reactor, silence_id: str, by: str, why: str) -> Outcome:
    """End one silence through the core (one event id per silence: a second ending is a duplicate)."""
    data = {"silence": silence_id, "by": by, **({"why": why} if why else {})}
    outcome = reactor.handle(_event(reactor, SILENCE_EXPIRED, f"SilenceExpired-{silence_id}", data), internal=True)
    reactor.active_silences.forget()
    return outcome


def set_silence(reactor: Reactor, data: dict[str, str]) -> Outcome:
    """Set a silence through the core (its id comes from what it is: the same request twice is one silence)."""
    data = {k: v for k, v in data.items() if v}
    outcome = reactor.handle(_event(reactor, SILENCE_SET, f"SilenceSet-{data['silence']}", data), internal=True)
    reactor.active_silences.forget()
    return outcome


def _event(reactor: Reactor, kind: str, event_id: str, data: dict[str, str]) -> dict[str, object]:
    return {"specversion": "1.0", "id": event_id, "type": kind, "source": reactor.workspace_id, "data": data}
