"""Flat cost: every query the SQLite store makes uses a key or an index; none scans a table that grows."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from shared.adapters.store.sqlite.rows import write_record
from shared.core.clock import FixedClock
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.engine.reactor import Reactor
from shared.engine.reconcile import reconcile
from shared.tools import synthetic
from tests.functional.driver import Driver

GROWING = ("journal", "intents", "records", "jobs", "dead_letters", "groups", "subjects")
# A scan bounded by LIMIT in key order reads only the newest rows (the dead letters page).
BOUNDED = re.compile(r"ORDER BY (at DESC, )?seq DESC LIMIT", re.I)


def statements(drive: Driver, clock: FixedClock) -> set[str]:
    """Every statement the store runs while the whole loop goes round, with its values bound."""
    seen: set[str] = set()
    store = drive.reactor.store
    db: sqlite3.Connection = store._db()  # type: ignore[attr-defined]
    db.set_trace_callback(seen.add)
    drive.register()
    drive.to_production("1")
    drive.register()
    drive.finish("offline_test", auc=0.5, latency_ms=1)
    for _ in range(3):
        drive.deliver(synthetic.build("run_status_changed", drive.reactor.workspace_id, status="Failed"))
    drive.deliver(synthetic.build("monitor_breach", drive.reactor.workspace_id))
    drive.deliver({"id": "bad", "eventType": "Microsoft.MachineLearningServices.ModelRegistered", "data": {}})
    drive.approve("2")  # refused: not in staging
    store.ledger(event_id="bad")
    store.ledger(model="credit-risk", version="1")
    store.ledger(model="credit-risk")
    store.dead_letters(limit=10)
    store.get_event("bad")
    store.get_event("unknown")
    store.jobs_for("credit-risk", "retrain")
    store.due_approvals("2026-12-31T00:00:00+00:00", 10)
    _letter_pages(drive)
    store.inflight_jobs("offline_test", "9999", ("2000", "a"), 10)  # reconcile's reads
    store.last_event_at()
    store.get_intent("credit-risk", "cd:credit-risk:1:production")
    store.set_mark("reconcile:test", "x")
    store.get_mark("reconcile:test")
    clock.advance(seconds=3600)
    drive.reactor.sweep()
    clock.advance(days=1)
    reconcile(drive.reactor, limit=2)  # asks about the jobs in flight, checks the CD requests
    db.set_trace_callback(None)
    return {s for s in seen if re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE)", s, re.I)}


def _letter_pages(drive: Driver) -> None:
    """Every shape of the dead-letter page: by time, by type, each with and without bounds and a cursor."""
    from shared.core.dead_letters import LetterQuery
    from shared.engine.redrive import redrive

    store = drive.reactor.store
    for event_type in (None, "Microsoft.MachineLearningServices.ModelRegistered"):
        first = store.dead_letter_page(LetterQuery(event_type=event_type, limit=1))
        store.dead_letter_page(LetterQuery(event_type=event_type, limit=1, cursor=first.next, reason="x"))
        store.dead_letter_page(LetterQuery(event_type=event_type, since="2026-01-01T00:00:00+00:00"))
        store.dead_letter_page(LetterQuery(event_type=event_type, until="2027-01-01T00:00:00+00:00", cursor=first.next))
    redrive(drive.reactor, LetterQuery(), dry_run=False)


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
