"""Silences for the engine: the active ones, cached briefly per process; and ending those whose time passed.

Why a cache: every event's notices are matched against the silences, and the storm path is one write per event;
reading the silences once per `ttl` seconds per process keeps it so. Across processes it stays correct because
(1) a silence's time box is checked against each event's own time, so one that ran out holds nothing even if
cached; (2) a held notice is recorded by `Store.hold`, which refuses when the silence has ended or run out, and the
notice is then sent; (3) a silence set by a person in another process starts holding within `ttl` seconds (the
process that handled it forgets its cache at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from shared.core.event_types import SILENCE_EXPIRED, SILENCE_SET
from shared.core.guards import REACTOR
from shared.core.ports import Store
from shared.core.silences import Silence

if TYPE_CHECKING:
    from shared.engine.outcome import Outcome
    from shared.engine.reactor import Reactor

MAX_ACTIVE = 500  # silences read at once; more than this many at a time is a misuse the list shows


class ActiveSilences:
    """The silences not ended, read from the store at most once per `ttl` seconds (0: every time)."""

    def __init__(self, store: Store, ttl: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store, self.ttl, self._monotonic = store, ttl, monotonic
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._silences: tuple[Silence, ...] = ()

    def __call__(self) -> tuple[Silence, ...]:
        now = self._monotonic()
        with self._lock:
            if self._read_at is not None and now - self._read_at < self.ttl:
                return self._silences
        silences = tuple(self.store.silences(limit=MAX_ACTIVE))
        with self._lock:
            self._silences, self._read_at = silences, now
        return silences

    def forget(self) -> None:
        """Read anew on the next event (this process just set or ended one)."""
        with self._lock:
            self._read_at = None


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
