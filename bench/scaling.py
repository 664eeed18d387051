"""Flat in history: the same mix of events and the same lookups, on a state with 10^4 and with 10^5 events."""

from __future__ import annotations

import json
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.paths import START, local_reactor
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from shared.tools import synthetic

CYCLE = 20  # per 20 events: 14 run failures, 3 registrations, 2 test results, 1 drift


@dataclass(frozen=True)
class Scale:
    """Throughput of the mix on top of `history` events, each lookup's median time, and bytes per event."""

    history: int
    rate: float
    lookups: dict[str, float]
    bytes_per_event: float


class Mix:
    """A realistic mix of events; time moves 30 s per event, so alert windows open and close."""

    def __init__(self, reactor: Reactor, clock: FixedClock) -> None:
        self.reactor, self.clock = reactor, clock
        self.queued: deque[str] = deque()  # offline tests submitted and not finished, oldest first

    def event(self, i: int) -> dict[str, Any]:
        """The i-th event: per 20, 14 run failures, 3 registrations, 2 test results, 1 drift."""
        self.clock.advance(seconds=30)
        slot, ws = i % CYCLE, self.reactor.workspace_id
        if slot < 14:
            return synthetic.build("run_status_changed", ws, experiment=f"e{i % 200}", status="Failed")
        if slot < 17:
            return synthetic.build("model_registered", ws, model=f"m{i % 100}", version=str(i))
        if slot < 19 and self.queued:
            workspace: Any = self.reactor.workspace
            return dict(workspace.complete_job(self.queued.popleft(), "Completed", {"auc": 0.9, "latency_ms": 5})[0])
        return synthetic.build("monitor_breach", ws)

    def deliver(self, raw: dict[str, Any]) -> None:
        outcome = self.reactor.handle(raw)
        self.queued.extend(a["job_name"] for a in outcome.actions if a.get("purpose") == "offline_test")


def _median_ms(call: Callable[[], Any], runs: int = 100) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def scale(history: int, measured: int = 2000) -> Scale:
    """Fill a state with `history` events of the mix, then time `measured` more and the lookups."""
    clock = FixedClock(START)
    with local_reactor(clock) as (reactor, folder):
        mix = Mix(reactor, clock)
        for i in range(history):
            mix.deliver(mix.event(i))
        texts = [json.dumps(mix.event(history + i)) for i in range(measured)]
        start = time.perf_counter()
        for text in texts:
            mix.deliver(json.loads(text))
        rate = measured / (time.perf_counter() - start)
        store, some = reactor.store, json.loads(texts[len(texts) // 2])
        record = store.records("m14")[0]
        lookups = {
            "ledger by event": _median_ms(lambda: store.ledger(event_id=some["id"])),
            "ledger by model+version": _median_ms(lambda: store.ledger(model="m14", version=record.version)),
            "ledger by model (newest 50)": _median_ms(lambda: store.ledger(model="m14", limit=50)),
            "dead letters (newest 100)": _median_ms(lambda: store.dead_letters(limit=100)),
            "jobs by model and purpose": _median_ms(lambda: store.jobs_for("m14", "offline_test")),
            "a record": _median_ms(lambda: store.get_record("m14", record.version)),
            "a raw event": _median_ms(lambda: store.get_event(some["id"])),
            "stalled claims": _median_ms(lambda: store.stalled(clock.now(), 100)),
        }
        size = sum(p.stat().st_size for p in folder.glob("reactor.db*"))
        return Scale(history, rate, lookups, size / (history + measured))
