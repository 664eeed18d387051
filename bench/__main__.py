"""Print the benchmark figures: import cost, core throughput against a raw SQLite floor, storm grouping."""

from __future__ import annotations

import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.first_event import first_event
from bench.paths import WalPages, measure, own_windows, registrations, storm, verdicts
from bench.scaling import scale
from shared.adapters.store.sqlite import WAL_CHECKPOINT_PAGES

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import resource, sys, time\nt = time.perf_counter()\nimport {module}\nt = time.perf_counter() - t\n"
    "heavy = [m for m in ('azure.ai.ml', 'mlflow') if m in sys.modules]\n"
    "print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, ','.join(heavy))"
)


def import_cost(module: str, runs: int = 7) -> tuple[float, float, str]:
    """Median seconds and median peak RSS (MiB) to import `module` in a fresh interpreter."""
    times, peaks, heavy = [], [], ""
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.split()
        times.append(float(out[0]))
        peaks.append(int(out[1]) / 1024)
        heavy = out[2] if len(out) > 2 else ""
    return statistics.median(times), statistics.median(peaks), heavy


def raw_floor(events: list[str], pages: list[float] | None = None) -> float:
    """Events per second for json.loads plus two WAL transactions (claim, complete) per event; `pages`: gets the
    pages they wrote to the WAL per event."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "floor.db"
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")  # the same settings as the store
        db.execute("CREATE TABLE claims (event_id TEXT PRIMARY KEY, done INTEGER, outcome TEXT)")
        counter = WalPages(db, path) if pages is not None else None
        start = time.perf_counter()
        for text in events:
            event_id = json.loads(text)["id"]
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO claims VALUES (?, 0, NULL)", (event_id,))
            db.execute("COMMIT")
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE claims SET done = 1, outcome = 'handled' WHERE event_id = ?", (event_id,))
            db.execute("COMMIT")
        rate = len(events) / (time.perf_counter() - start)
        if counter is not None and pages is not None:
            pages.append(counter.written() / len(events))
        db.close()
        return rate


PATHS = (
    ("run-failure storm (window's alert already sent)", storm, 4000, 0.8),
    ("run failures opening their own window", own_windows, 1000, 0.3),
    ("new model versions", registrations, 1000, 0.3),
    ("offline-test verdicts", verdicts, 500, 0.3),
)


def paths(floor_events: list[str], rounds: int = 3) -> None:
    """Each path against the floor measured right beside it (rounds alternate, medians shown): once with the
    effects kept in memory (the core and its store), once through the local adapters (files fsynced)."""
    figures: dict[tuple[str, bool], list[tuple[float, float, float]]] = {}
    for _ in range(rounds):
        for name, make, count, _target in PATHS:
            for in_memory in (True, False):
                floor = raw_floor(floor_events)
                figure = measure(name, make(count if in_memory else count // 4), in_memory=in_memory)
                figures.setdefault((name, in_memory), []).append((floor, figure.rate, figure.writes))
    print("paths (SQLite WAL, synchronous=NORMAL; median of alternating rounds; floor = json.loads + 2 transactions)")
    for in_memory, title in ((True, "effects in memory"), (False, "local adapters: workspace simulator, outbox")):
        print(f"  {title}")
        for name, _make, _count, target in PATHS:
            rows = figures[(name, in_memory)]
            floor, rate, writes = (statistics.median(r[i] for r in rows) for i in range(3))
            print(
                f"    {name:48s} {rate:7.0f} ev/s = {rate / floor:.2f} x floor {floor:6.0f} (target >= {target});"
                f" {writes:.2f} write transactions/event (budget 2)"
            )


def first_events() -> None:
    """Azure mode's first event in a fresh process, cold and after the warmup function."""
    cold, warmed = first_event(warmed=False), first_event(warmed=True)
    print("Azure mode, first event in a fresh process (median of 3; a registration submits its offline test through")
    print("  the real azure-ai-ml MLClient to the local ARM stand-in over HTTPS)")
    print(f"  import function_app {cold.app_import:7.0f} ms (heavy SDK loaded: {cold.heavy_before_event})")
    print(f"  cold:   first event {cold.first_event:7.0f} ms, second {cold.second_event:5.0f} ms")
    print(
        f"  warmed: first event {warmed.first_event:7.0f} ms, second {warmed.second_event:5.0f} ms"
        f" (the warmup function's {warmed.warm_up:.0f} ms run before traffic, on scale-out)"
    )


def where_the_time_goes(floor_events: list[str]) -> None:
    """Per path, microseconds per event and the share spent inside SQLite statements, and the pages each event
    writes to the WAL (the durable work: a commit writes every page it changed), beside the floor's."""
    floor_pages: list[float] = []
    floor = 1e6 / raw_floor(floor_events, floor_pages)
    print(f"where the time goes (effects in memory; every statement timed; floor {floor:.0f} us/event,")
    print(f"  {floor_pages[0]:.1f} WAL pages/event)")
    for name, make, count, _target in PATHS:
        figure = measure(name, make(count), in_memory=True, sql_share=True)
        total, sql = 1e6 / figure.rate, figure.sql_us
        print(
            f"  {name:48s} {total:6.0f} us/event: {sql:5.0f} in SQLite, {total - sql:5.0f} in Python;"
            f" {figure.pages:5.1f} WAL pages/event = {figure.pages / floor_pages[0]:4.1f}x the floor's"
        )


def scaling(sizes: tuple[int, ...]) -> None:
    """The same mix and lookups at each history size; the larger against the smaller."""
    results = scale(sizes)
    print("flat in history (the same mix on top of N events, timed in alternating rounds of 500, median of 5;")
    print("  lookups: median of 100)")
    for r in results:
        print(f"  {r.history:>8d} events: {r.rate:7.0f} ev/s, {r.bytes_per_event:6.0f} bytes/event")
    small, large = results[0], results[-1]
    print(f"  throughput {large.history} / {small.history}: {large.rate / small.rate:.2f} (target >= 0.9)")
    for name in small.lookups:
        a, b = small.lookups[name], large.lookups[name]
        print(f"  {name:30s} {a:6.3f} ms -> {b:6.3f} ms = {b / a:4.2f}x (target <= 2x, < 5 ms)")


def main() -> None:
    """Print every figure with its target and the floor beside each ratio."""
    print("import cost (median of 7 fresh interpreters)")
    bare = import_cost("azure.functions")
    app = import_cost("function_app")
    aml = import_cost("azure.ai.ml")
    for name, (seconds, peak, heavy) in (("azure.functions", bare), ("function_app", app), ("azure.ai.ml", aml)):
        print(f"  {name:16s} {seconds * 1000:8.1f} ms  peak {peak:6.1f} MiB  heavy: {heavy or '-'}")
    print(f"  function_app / azure.functions = {app[0] / bare[0]:.2f}x (target <= 1.5x, no heavy SDK)")
    first_events()
    from shared.tools import synthetic

    ids = [json.dumps(synthetic.build("run_status_changed", "/x")) for _ in range(4000)]
    paths(ids)
    where_the_time_goes(ids)
    notices = measure("storm", storm(10000)).notices
    print(f"storm: 10000 failures of one experiment in one window -> {notices} notice(s) (target 1)")
    scaling((10_000, 1_000_000) if "--million" in sys.argv else (10_000, 100_000))


if __name__ == "__main__":
    main()
