"""The embedded Store on SQLite (WAL): store.py writes, reads.py reads, schema.py the tables and indexes."""

from shared.adapters.store.sqlite.schema import WAL_CHECKPOINT_PAGES
from shared.adapters.store.sqlite.store import ConcurrencyConflict, SqliteStore

__all__ = ["WAL_CHECKPOINT_PAGES", "ConcurrencyConflict", "SqliteStore"]
