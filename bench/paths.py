"""Each path of the core on SQLite, timed with its write transactions per event counted."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.memory import MemoryDeployer, MemoryNotifier, MemoryWorkspace
from shared.app import bootstrap
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from shared.tools import synthetic

START = datetime(2026, 11, 22, 9, 0, 1, tzinfo=UTC)


class WriteCounter:
    """Counts write transactions on a connection: each COMMIT, and each write statement run outside one."""

    def __init__(self) -> None:
        self.transactions = 0
        self._open = False

    def __call__(self, sql: str) -> None:
        head = sql.lstrip()[:6].upper()
        if head.startswith("BEGIN"):
            self._open = True
        elif head.startswith(("COMMIT", "ROLLBA")):
            self.transactions += head.startswith("COMMIT")
            self._open = False
        elif head in ("INSERT", "UPDATE", "DELETE") and not self._open:
            self.transactions += 1


class TimedConnection:
    """A connection whose statements are timed: the SQLite share of a path (the wrapper slows the run a little)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db, self.seconds = db, 0.0

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        start = time.perf_counter()
        try:
            return self.db.execute(sql, params)
        finally:
            self.seconds += time.perf_counter() - start

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        start = time.perf_counter()
        try:
            return self.db.executemany(sql, rows)
        finally:
            self.seconds += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


@contextmanager
def local_reactor(clock: FixedClock, *, in_memory: bool = False) -> Iterator[tuple[Reactor, Path]]:
    """A reactor on the embedded adapters in a fresh folder, quiet; `in_memory`: its effects stay in memory."""
    with tempfile.TemporaryDirectory() as folder:
        ports: dict[str, Any] = {}
        if in_memory:
            ports = {
                "workspace": MemoryWorkspace({"auc": 0.9, "latency_ms": 10}),
                "deployer": MemoryDeployer(),
                "notifier": MemoryNotifier(),
            }
        reactor = bootstrap.local(Path(folder), clock=clock, **ports)
        if not in_memory:
            reactor.notifier.console = None  # type: ignore[attr-defined]
        yield reactor, Path(folder)


@dataclass(frozen=True)
class PathFigure:
    """Events per second through the whole core, and write transactions per event on the store."""

    name: str
    rate: float
    writes: float
    notices: int
    sql_us: float = 0.0  # microseconds per event inside SQLite statements (only when asked: `sql_share`)
    pages: float = 0.0  # database pages written to the WAL per event (only with `sql_share`)


class WalPages:
    """Pages a connection's transactions write to its WAL file: the durable work, whatever the machine's speed.
    The WAL is emptied first and not checkpointed while counting (each frame is a page and a 24-byte header)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db, self.wal = db, path.with_name(path.name + "-wal")
        self.frame = int(db.execute("PRAGMA page_size").fetchone()[0]) + 24
        self.checkpoint = int(db.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA wal_autocheckpoint=0")
        self.start = self._size()

    def _size(self) -> int:
        return self.wal.stat().st_size if self.wal.exists() else 0

    def written(self) -> int:
        """Pages written since this counter was made; the connection checkpoints as before from now on."""
        self.db.execute(f"PRAGMA wal_autocheckpoint={self.checkpoint}")
        return (self._size() - self.start) // self.frame


def measure(
    name: str,
    prepare: Callable[[Reactor, FixedClock], list[str]],
    *,
    in_memory: bool = False,
    sql_share: bool = False,
) -> PathFigure:
    """Prepare the events (not timed), then deliver them one by one (timed, writes counted); `sql_share`: time
    every statement too (a separate run: the timing wrapper costs a little)."""
    clock = FixedClock(START)
    with local_reactor(clock, in_memory=in_memory) as (reactor, folder):
        texts = prepare(reactor, clock)
        counter = WriteCounter()
        db: sqlite3.Connection = reactor.store._db()  # type: ignore[attr-defined]
        timed = TimedConnection(db)
        pages = WalPages(db, reactor.store.path) if sql_share else None  # type: ignore[attr-defined]
        if sql_share:
            reactor.store._db = lambda: timed  # type: ignore[attr-defined]
        db.set_trace_callback(counter)
        start = time.perf_counter()
        for text in texts:
            reactor.handle(json.loads(text))
        elapsed = time.perf_counter() - start
        db.set_trace_callback(None)
        notices = len(list((folder / "outbox").glob("*.json")))
        sql_us = timed.seconds / len(texts) * 1e6
        written = pages.written() / len(texts) if pages is not None else 0.0
        return PathFigure(name, len(texts) / elapsed, counter.transactions / len(texts), notices, sql_us, written)


def storm(count: int) -> Callable[[Reactor, FixedClock], list[str]]:
    """Run failures of one experiment in one window (the alert went out with the first)."""
    return lambda reactor, _: [
        json.dumps(synthetic.build("run_status_changed", reactor.workspace_id, experiment="nightly", status="Failed"))
        for _ in range(count)
    ]


def own_windows(count: int) -> Callable[[Reactor, FixedClock], list[str]]:
    """Run failures that each open an alert window of their own (one experiment each)."""
    return lambda reactor, _: [
        json.dumps(synthetic.build("run_status_changed", reactor.workspace_id, experiment=f"e{i}", status="Failed"))
        for i in range(count)
    ]


def registrations(count: int) -> Callable[[Reactor, FixedClock], list[str]]:
    """New model versions: each submits its offline test and tags the version."""
    return lambda reactor, _: [
        json.dumps(synthetic.build("model_registered", reactor.workspace_id, model=f"m{i % 50}", version=str(i)))
        for i in range(count)
    ]


def verdicts(count: int) -> Callable[[Reactor, FixedClock], list[str]]:
    """Offline-test results: the gate, CD to staging, a verdict notice (registrations delivered first, untimed)."""

    def prepare(reactor: Reactor, clock: FixedClock) -> list[str]:
        names = []
        for i in range(count):
            registered = synthetic.build("model_registered", reactor.workspace_id, model=f"m{i % 50}", version=str(i))
            names += [a["job_name"] for a in reactor.handle(registered).actions if a["kind"] == "submit_job"]
        workspace: Any = reactor.workspace
        if isinstance(workspace, MemoryWorkspace):
            return [json.dumps(synthetic.build("run_completed", reactor.workspace_id, run_id=n)) for n in names]
        return [json.dumps(workspace.complete_job(n, "Completed", {"auc": 0.9, "latency_ms": 10})[0]) for n in names]

    return prepare
