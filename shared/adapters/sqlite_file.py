"""One SQLite file for the embedded adapters: a WAL-mode, autocommit connection per thread (callers BEGIN)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class ThreadConnections:
    """Call it for this thread's connection to `path`, opened on first use with the embedded adapters' pragmas."""

    def __init__(self, path: Path, *, checkpoint_pages: int | None = None) -> None:
        self.path = path
        self.checkpoint_pages = checkpoint_pages
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
            self._local.db = db
        return db
