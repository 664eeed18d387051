"""The durable work each path does on SQLite, in pages written to the WAL per event (bench/paths.py `WalPages`):
a budget guarded by a count, not a clock. Measured: storm 3.9, own window 12.9, new version 26.7, verdict 32.6;
the floor (two one-row transactions) 3.3. A change that writes more rows or indexes per decision fails here."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bench.paths import START, WalPages, local_reactor, own_windows, registrations, storm, verdicts
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor

Prepare = Callable[[int], Callable[[Reactor, FixedClock], list[str]]]
BUDGET: list[tuple[str, Prepare, float]] = [
    ("storm", storm, 4.5),
    ("own window", own_windows, 14.5),
    ("new version", registrations, 29.5),
    ("verdict", verdicts, 36.0),
]


@pytest.mark.parametrize(("name", "prepare", "budget"), BUDGET, ids=[b[0] for b in BUDGET])
def test_pages_written_per_event_stay_within_the_budget(name: str, prepare: Prepare, budget: float) -> None:
    clock = FixedClock(START)
    with local_reactor(clock, in_memory=True) as (reactor, _folder):
        texts = prepare(200)(reactor, clock)
        pages = WalPages(reactor.store._db(), reactor.store.path)  # type: ignore[attr-defined]
        for text in texts:
            reactor.handle(json.loads(text))
        per_event = pages.written() / len(texts)
    assert 0.5 * budget < per_event <= budget, f"{name}: {per_event:.1f} pages per event (budget {budget})"
