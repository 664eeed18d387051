"""Flat cost: every query the SQLite store makes uses a key or an index; none scans a table that grows."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.store.sqlite.rows import write_record
from shared.core.clock import FixedClock
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.engine.reactor import Reactor
from tests.functional.driver import Driver
from tests.functional.every_query import go_round

GROWING = ("journal", "intents", "records", "jobs", "dead_letters", "groups", "subjects")
# A scan bounded by LIMIT in key order reads only the newest rows (the dead letters page).
BOUNDED = re.compile(r"ORDER BY (at DESC, )?seq DESC LIMIT", re.I)


def statements(drive: Driver, clock: FixedClock) -> set[str]:
    """Every statement the store runs while the whole loop goes round, with its values bound."""
    seen: set[str] = set()
    db: sqlite3.Connection = drive.reactor.store._db()  # type: ignore[attr-defined]
    db.set_trace_callback(seen.add)
    go_round(drive, clock)
    db.set_trace_callback(None)
    return {s for s in seen if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE)", s, re.I)}


def test_no_query_scans_a_table_that_grows(reactor: Reactor, clock: FixedClock) -> None:
    drive = Driver(reactor)
    db: sqlite3.Connection = drive.reactor.store._db()  # type: ignore[attr-defined]
    queries = statements(drive, clock)
    assert len(queries) > 20  # the scenario reaches every kind of query
    scans = []
    for sql in sorted(queries):
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        growing = [t for t in GROWING if re.search(rf"\bSCAN {t}\b", plan)]
        if growing and not BOUNDED.search(sql):
            scans.append(f"{sql}\n    -> {plan}")
    assert not scans, "queries that scan a growing table:\n" + "\n".join(scans)


def _steps(db: sqlite3.Connection, call: Callable[[], object]) -> int:
    """SQLite virtual-machine steps a call takes: the work a query does, whatever the machine's speed."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(count, 1)
    try:
        call()
    finally:
        db.set_progress_handler(None, 1)
    return steps


def test_a_models_lookups_do_not_grow_with_its_versions(reactor: Reactor) -> None:
    """The loader's reads of one model (its production records, a version, its jobs) cost the same with 10 versions
    as with 200: an index or a key, not a walk through every version of the model."""
    store = reactor.store
    db: sqlite3.Connection = store._db()  # type: ignore[attr-defined]
    lookups: dict[str, Callable[[], object]] = {
        "production records": lambda: store.records("m", str(Stage.PRODUCTION)),
        "a record": lambda: store.get_record("m", "3"),
        "jobs by purpose": lambda: store.jobs_for("m", "offline_test"),
    }
    costs = []
    for versions in (10, 200):
        with store._tx() as tx:  # type: ignore[attr-defined]
            for v in range(versions):
                write_record(tx, ModelVersionRecord(model="m", version=f"{versions}.{v}", stage=Stage.TESTING))
        costs.append({name: _steps(db, call) for name, call in lookups.items()})
    grown = {name: (costs[0][name], costs[1][name]) for name in lookups if costs[1][name] > 2 * costs[0][name]}
    assert not grown, f"lookups that grow with the model's versions (steps at 10 -> 210 versions): {grown}"


def test_a_prune_costs_what_it_deletes_not_the_history_it_keeps(tmp_path: Path) -> None:
    """The daily retention prune finds the old events by the journal's order, not by reading every row kept: one
    old day costs the same to prune with 3 days kept after it as with 60."""
    day = datetime(2026, 1, 1, tzinfo=UTC)
    costs = []
    for kept in (3, 60):
        store = SqliteStore(tmp_path / f"{kept}.db")
        for d in range(kept + 1):
            for n in range(20):
                at = (day + timedelta(days=d, minutes=n)).isoformat()
                store.reject(f"e{d}-{n}", "X", {"id": f"e{d}-{n}"}, "invalid", at)
        cut = (day + timedelta(days=1)).isoformat()
        costs.append(_steps(store._db(), lambda s=store, c=cut: s.prune(c, apply=True)))  # type: ignore[misc]
        assert store.prune(cut, apply=False) == {"events": 0, "intents": 0, "dead letters": 0}
        assert store.get_event("e1-0") is not None
    assert costs[1] <= 1.5 * costs[0], f"VM steps of pruning one day with 3 and 60 days kept: {costs}"
