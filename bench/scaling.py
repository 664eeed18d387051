"""Flat in history: the same mix of events and the same lookups, on a state with 10^4 and with 10^5 events."""

from __future__ import annotations

import json
import statistics
import time
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.memory import MemoryWorkspace
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
            if isinstance(workspace, MemoryWorkspace):  # effects in memory: the job's completion event alone
                return synthetic.build("run_completed", ws, run_id=self.queued.popleft())
            return dict(workspace.complete_job(self.queued.popleft(), "Completed", {"auc": 0.9, "latency_ms": 5})[0])
        return synthetic.build("monitor_breach", ws)

    def deliver(self, raw: dict[str, Any]) -> None:
        outcome = self.reactor.handle(raw)
        self.queued.extend(a["job_name"] for a in outcome.actions if a.get("purpose") == "offline_test")


def median_ms(call: Callable[[], Any], runs: int = 100) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


@dataclass
class _State:
    """One filled state: its reactor, its mix and the folder it lives in."""

    history: int
    reactor: Reactor
    clock: FixedClock
    mix: Mix
    folder: Path
    delivered: int = 0
    rates: list[float] = field(default_factory=list)
    sample_id: str = ""  # an event of the last round, for the lookups by event

    def run(self, count: int) -> None:
        """Time `count` more events of the mix (built untimed first)."""
        texts = [json.dumps(self.mix.event(self.history + self.delivered + i)) for i in range(count)]
        start = time.perf_counter()
        for text in texts:
            self.mix.deliver(json.loads(text))
        self.rates.append(count / (time.perf_counter() - start))
        self.delivered += count
        self.sample_id = json.loads(texts[count // 2])["id"]


def scale(sizes: tuple[int, ...], rounds: int = 5, per_round: int = 500) -> list[Scale]:
    """Fill a state per size, then time the mix on each in alternating rounds (median), then the lookups."""
    with ExitStack() as stack:
        states = []
        for history in sizes:
            clock = FixedClock(START)
            reactor, folder = stack.enter_context(local_reactor(clock))
            state = _State(history, reactor, clock, Mix(reactor, clock), folder)
            for i in range(history):
                state.mix.deliver(state.mix.event(i))
            states.append(state)
        for _ in range(rounds):
            for state in states:
                state.run(per_round)
        return [_figures(state) for state in states]


def _figures(state: _State) -> Scale:
    store, clock = state.reactor.store, state.clock
    record = store.records("m14")[0]
    lookups = {
        "ledger by event": median_ms(lambda: store.ledger(event_id=state.sample_id)),
        "ledger by model+version": median_ms(lambda: store.ledger(model="m14", version=record.version)),
        "ledger by model (newest 50)": median_ms(lambda: store.ledger(model="m14", limit=50)),
        "dead letters (newest 100)": median_ms(lambda: store.dead_letters(limit=100)),
        "jobs by model and purpose": median_ms(lambda: store.jobs_for("m14", "offline_test")),
        "a record": median_ms(lambda: store.get_record("m14", record.version)),
        "a raw event": median_ms(lambda: store.get_event(state.sample_id)),
        "stalled claims": median_ms(lambda: store.stalled(clock.now(), 100)),
    }
    size = sum(p.stat().st_size for p in state.folder.glob("reactor.db*"))
    return Scale(state.history, statistics.median(state.rates), lookups, size / (state.history + state.delivered))
