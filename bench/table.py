"""Table Storage on Azurite: requests per event on each path (a counting transport through the real engine), and
each lookup's requests and time as history grows: 500 -> 5,000 events (ARGS=--large: 1,000 -> 100,000, hours on
Azurite). `make bench-table`."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.memory import MemoryDeployer, MemoryNotifier, MemoryWorkspace
from bench.paths import START, own_windows, registrations, storm, verdicts
from bench.scaling import Mix
from shared.adapters.store.table.store import TableStore
from shared.app import bootstrap
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from tests.contract import azurite
from tests.contract.test_store_requests import Requests  # the counting transport the request tests use

TABLES = ("Claims", "Subjects", "Jobs", "DeadLetters", "Guards")


def _reactor(connection: str, folder: Path, clock: FixedClock) -> tuple[Reactor, Requests]:
    """The real core on a fresh set of tables (counted), its other effects in memory."""
    requests = Requests()
    store = TableStore.from_connection_string(connection, f"b{uuid.uuid4().hex[:12]}", raw_request_hook=requests)
    for name in TABLES:
        store.table(name)  # created once per process, not per event
    reactor = bootstrap.local(
        folder,
        clock=clock,
        store=store,
        workspace=MemoryWorkspace({"auc": 0.9, "latency_ms": 10}),
        deployer=MemoryDeployer(),
        notifier=MemoryNotifier(),
    )
    reactor.active_silences()  # read once per few seconds per process, not per event
    requests.take()
    return reactor, requests


PATHS: tuple[tuple[str, Callable[[int], Callable[[Reactor, FixedClock], list[str]]], int, int], ...] = (
    ("run-failure storm (window's alert already sent)", storm, 400, 4),
    ("run failures opening their own window", own_windows, 100, 8),
    ("new model versions", registrations, 100, 8),
    ("offline-test verdicts", verdicts, 100, 8),
)


def requests_per_event(connection: str) -> None:
    """Each path's requests per event, counted from the first event after its preparation."""
    print("Table Storage on Azurite: HTTP requests per event, through the engine (effects in memory; the CPU is the")
    print("  app's side: the core and the Tables SDK, Azurite excluded)")
    for name, make, count, target in PATHS:
        with tempfile.TemporaryDirectory() as folder:
            clock = FixedClock(START)
            reactor, requests = _reactor(connection, Path(folder), clock)
            texts = make(count)(reactor, clock)
            requests.take()
            cpu = time.process_time()
            for text in texts:
                reactor.handle(json.loads(text))
            cpu = (time.process_time() - cpu) / len(texts) * 1000
            print(
                f"  {name:48s} {requests.take() / len(texts):5.2f} requests/event (target <= {target}),"
                f" {cpu:5.1f} ms of this process's CPU/event"
            )


def _lookups(reactor: Reactor, requests: Requests, sample: str) -> dict[str, tuple[float, float]]:
    """Each lookup: requests it sends and its median milliseconds (of 20)."""
    store = reactor.store
    record = store.records("m14")[0]
    calls: dict[str, Callable[[], Any]] = {
        "ledger by event": lambda: store.ledger(event_id=sample),
        "ledger by model+version": lambda: store.ledger(model="m14", version=record.version),
        "ledger by model (newest 50)": lambda: store.ledger(model="m14", limit=50),
        "dead letters (newest 100)": lambda: store.dead_letters(limit=100),
        "jobs by model and purpose": lambda: store.jobs_for("m14", "offline_test"),
        "a record": lambda: store.get_record("m14", record.version),
        "a raw event": lambda: store.get_event(sample),
    }
    found = {}
    for name, call in calls.items():
        requests.take()
        times = []
        for _ in range(20):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        found[name] = (requests.take() / 20, statistics.median(times) * 1000)
    return found


def lookups_as_history_grows(connection: str, sizes: tuple[int, ...]) -> None:
    """The same realistic mix, grown through each size in turn; every lookup's requests and time at each."""
    results = []
    with tempfile.TemporaryDirectory() as folder:
        clock = FixedClock(START)
        reactor, requests = _reactor(connection, Path(folder), clock)
        mix, sample, delivered = Mix(reactor, clock), "", 0
        for size in sizes:
            for i in range(delivered, size):
                raw = mix.event(i)
                mix.deliver(raw)
                sample = str(raw["id"]) if i == size - 100 else sample
            delivered = size
            results.append((size, _lookups(reactor, requests, sample)))
    print("Table Storage on Azurite: lookups on top of N events of the mix (requests sent, median of 20)")
    small, large = results[0], results[-1]
    for name in small[1]:
        a, b = small[1][name], large[1][name]
        print(
            f"  {name:30s} {small[0]:>6d} events: {a[0]:4.1f} req {a[1]:6.2f} ms -> {large[0]:>6d}: {b[0]:4.1f} req"
            f" {b[1]:6.2f} ms = {b[1] / a[1]:4.2f}x"
        )


def main() -> None:
    """Start an in-memory Azurite, print both figures, stop it."""
    with tempfile.TemporaryDirectory() as folder:
        process, port = azurite.start(Path(folder) / "azurite.log")
        try:
            connection = azurite.connection_string(port)
            requests_per_event(connection)
            lookups_as_history_grows(connection, (1_000, 100_000) if "--large" in sys.argv else (500, 5_000))
        finally:
            azurite.stop(process)


if __name__ == "__main__":
    main()
