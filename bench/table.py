"""Table Storage on Azurite: requests per event on each path (a counting transport through the real engine), and
each lookup's requests and time as history grows: 500 -> 5,000 events (ARGS=--large: 1,000 -> 100,000, ~12 minutes:
the history is written by the engine onto an in-memory table service and copied to Azurite in batches, checked first
against an engine fill on Azurite). `make bench-table`."""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fill import Filled, memory_store, reactor_on, upload
from bench.fillcheck import drop, lookups, same_as_engine
from bench.paths import START, own_windows, registrations, storm, verdicts
from bench.scaling import median_ms
from shared.adapters.store.table.store import TableStore
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from tests.contract import azurite
from tests.contract.test_store_requests import Requests  # the counting transport the request tests use

TABLES = ("Claims", "Subjects", "Jobs", "DeadLetters", "Guards")
CHECKED = 260  # events through the engine on Azurite and through the bulk fill, compared (one of them rejected)


def _reactor(connection: str, folder: Path, clock: FixedClock) -> tuple[Reactor, Requests]:
    """The real core on a fresh set of tables (counted), its other effects in memory."""
    requests = Requests()
    store = TableStore.from_connection_string(connection, f"b{uuid.uuid4().hex[:12]}", raw_request_hook=requests)
    for name in TABLES:
        store.table(name)  # created once per process, not per event
    reactor = reactor_on(store, folder, clock)
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


def _lookups(store: TableStore, requests: Requests, sample: str) -> dict[str, tuple[float, float, int]]:
    """Each lookup: requests it sends, its median milliseconds (of 20) and how many items it found."""
    found = {}
    for name, call in lookups(store, sample).items():
        answer = call()
        size = len(answer) if isinstance(answer, list) else int(answer is not None)
        requests.take()
        ms = median_ms(call, runs=20)
        found[name] = (requests.take() / 20, ms, size)
    return found


def _azurite_alone(store: TableStore) -> dict[str, float]:
    """Azurite's own cost, no store code: a query that matches nothing on each table, and a point read of nothing."""

    def nothing(name: str) -> Callable[[], Any]:
        return lambda: list(store.table(name).query_entities("PartitionKey eq @pk", parameters={"pk": "absent"}))

    def absent() -> None:
        try:
            store.table("Claims").get_entity("absent", "absent")
        except Exception as exc:
            if getattr(exc, "status_code", None) != 404:
                raise

    costs = {
        f"query matching nothing, {name}": median_ms(nothing(name), runs=20) for name in ("Claims", "Subjects", "Jobs")
    }
    costs["point read of nothing, Claims"] = median_ms(absent, runs=20)
    return costs


def lookups_as_history_grows(connection: str, sizes: tuple[int, ...]) -> None:
    """The same mix grown through each size (written by the engine in memory, copied to Azurite, see `bench.fill`);
    every lookup's requests and time at each, and Azurite's own cost beside them."""
    results = []
    with tempfile.TemporaryDirectory() as folder:
        same = same_as_engine(connection, Path(folder), CHECKED)
        print(
            f"Bulk fill checked against the engine: {same.events} events through each, the same {same.entities}"
            f" entities (wall-clock values masked) and the same answers to all {same.lookups} lookups"
        )
        filled = Filled(memory_store(), Path(folder) / "bulk", FixedClock(START))
        for size in sizes:
            began = time.perf_counter()
            filled.grow(size)
            grown = time.perf_counter()
            prefix = f"b{uuid.uuid4().hex[:12]}"
            copied = upload(filled.service, connection, prefix)
            print(
                f"  {size:>7,d} events: the engine wrote {copied:,d} entities in memory in {grown - began:.0f} s,"
                f" copied to Azurite in {time.perf_counter() - grown:.0f} s",
                flush=True,
            )
            requests = Requests()
            store = TableStore.from_connection_string(connection, prefix, raw_request_hook=requests)
            results.append((size, _lookups(store, requests, filled.sample), _azurite_alone(store)))
            drop(connection, (prefix,))
    _print(results)


def _print(results: list[tuple[int, dict[str, tuple[float, float, int]], dict[str, float]]]) -> None:
    print("Table Storage on Azurite: lookups on top of N events of the mix (requests sent, median of 20, items found)")
    (small, a_found, a_alone), (large, b_found, b_alone) = results[0], results[-1]
    for name, a in a_found.items():
        b = b_found[name]
        print(
            f"  {name:30s} {small:>6d} events: {a[0]:4.1f} req {a[1]:7.2f} ms ({a[2]:3d}) -> {large:>6d}:"
            f" {b[0]:4.1f} req {b[1]:7.2f} ms ({b[2]:3d}) = {b[1] / a[1]:5.2f}x"
        )
    print("Azurite alone (in memory; it scans a table's every entity for any query, the index only for point reads):")
    for name, a_ms in a_alone.items():
        print(f"  {name:38s} {small:>6d} events: {a_ms:7.2f} ms -> {large:>6d}: {b_alone[name]:7.2f} ms")


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
