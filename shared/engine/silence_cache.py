"""The active silences, cached briefly per process.

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

from shared.core.ports import Store
from shared.core.silences import Silence

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
