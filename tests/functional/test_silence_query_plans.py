"""Flat cost for silences and budgets: each SQLite statement they run uses a key or an index, never a scan."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta

from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from shared.engine.silences import expire_silences
from shared.tools import synthetic
from shared.web import silences_api
from tests.functional.driver import Driver

GROWING = ("silences", "silence_holds", "budget_resets")


def test_no_silence_or_budget_query_scans_a_table(reactor: Reactor, clock: FixedClock) -> None:
    reactor.active_silences.ttl = 0
    drive = Driver(reactor)
    db: sqlite3.Connection = reactor.store._db()  # type: ignore[attr-defined]
    seen: set[str] = set()
    db.set_trace_callback(seen.add)
    body = b'{"scope": "channel", "match": "oncall", "hours": 1, "by": "a", "why": "b"}'
    sid = silences_api.create_silence(reactor, body, None)[1]["silence"]
    drive.deliver(synthetic.build("run_status_changed", reactor.workspace_id, status="Failed"))
    silences_api.list_silences(reactor, {"ended": "true"})
    clock.advance(seconds=3600)
    expire_silences(reactor, clock.now() + timedelta(seconds=1))
    silences_api.reset_budget(reactor, "credit-risk", b'{"by": "a", "why": "b"}', None)
    drive.deliver(synthetic.build("monitor_breach", reactor.workspace_id))
    db.set_trace_callback(None)
    ours = {s for s in seen if any(re.search(rf"\b{t}\b", s) for t in GROWING) and re.match(r"\s*(SELECT|INSERT)", s)}
    assert len(ours) >= 8, ours
    assert reactor.store.held(sid) == {"run_failed": 1}
    scans = []
    for sql in sorted(ours):
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        # A partial index read in its order with a LIMIT reads only the rows it returns (open or newest ended).
        bounded = "USING INDEX" in plan and re.search(r"ORDER BY \w+( DESC)? LIMIT", sql)
        if any(re.search(rf"\bSCAN {t}\b", plan) for t in GROWING) and not bounded:
            scans.append(f"{sql}\n    -> {plan}")
    assert not scans, "queries that scan:\n" + "\n".join(scans)
