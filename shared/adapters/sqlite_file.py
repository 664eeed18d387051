"""One SQLite file for the embedded adapters: a WAL-mode, autocommit connection per thread (callers BEGIN)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ThreadConnections:
    """Call it for this thread's connection to `path`, opened on first use with the embedded adapters' pragmas."""

    def __init__(self, path: Path, *, checkpoint_pages: int | None = None, cache_mib: int | None = None) -> None:
        self.path = path
        self.checkpoint_pages = checkpoint_pages
        self.cache_mib = cache_mib
        self._local = threading.local()

    def __call__(self) -> sqlite3.Connection:
        """This thread's connection."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if self.checkpoint_pages is not None:
                db.execute(f"PRAGMA wal_autocheckpoint={self.checkpoint_pages}")
            if self.cache_mib is not None:  # index pages stay in memory as the state grows (bounded per connection)
                db.execute(f"PRAGMA cache_size=-{self.cache_mib * 1024}")
                db.execute(f"PRAGMA mmap_size={self.cache_mib * 4 << 20}")
            self._local.db = db
        return db
