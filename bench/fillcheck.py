"""The bulk fill checked against the engine: the same events delivered through the engine onto Azurite, and through
the engine onto the in-memory service then copied, leave the same entities and answer every lookup the same."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fill import POISON, Filled, memory_store, upload
from bench.paths import START
from shared.adapters.store.table.store import TableStore
from shared.core.clock import FixedClock

TABLES = ("Claims", "Subjects", "Jobs", "DeadLetters", "Guards")
# Drawn at write time, not from the events: `seq` and a letter's RowKey tail (the wall clock), and the random part
# of a rejected event's claim id; masked.
_WALL = re.compile(r"\d{20}(-[0-9a-f]{8})?|(?<=rejected:)[0-9a-f]{32}|(?<=rejected%3A)[0-9a-f]{32}")


def lookups(store: TableStore, sample: str) -> dict[str, Callable[[], Any]]:
    """Every lookup the bench times, by name."""
    version = store.records("m14")[0].version
    return {
        "ledger by event": lambda: store.ledger(event_id=sample),
        "ledger by model+version": lambda: store.ledger(model="m14", version=version),
        "ledger by model (newest 50)": lambda: store.ledger(model="m14", limit=50),
        "dead letters (newest 100)": lambda: store.dead_letters(limit=100),
        "jobs by model and purpose": lambda: store.jobs_for("m14", "offline_test"),
        "a record": lambda: store.get_record("m14", version),
        "a raw event": lambda: store.get_event(sample),
    }


def _dump(connection: str, prefix: str) -> dict[str, list[str]]:
    """Every entity of the tables `<prefix><name>`, server-set properties dropped and wall-clock values masked."""
    store, found = TableStore.from_connection_string(connection, prefix), {}
    for name in TABLES:
        rows = store.table(name).list_entities()
        masked = (
            {k: _WALL.sub("#", v) if isinstance(v, str) else v for k, v in r.items() if k != "Timestamp"} for r in rows
        )
        found[name] = sorted(json.dumps(row, sort_keys=True, default=str) for row in masked)
    return found


def _masked(value: Any) -> Any:
    return _WALL.sub("#", value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Same:
    """What was compared: events delivered, entities in each fill, lookups answered alike."""

    events: int
    entities: int
    lookups: int


def same_as_engine(connection: str, folder: Path, events: int, poison: int = POISON) -> Same:
    """Fill both ways with the same `events` events (one in `poison` rejected) and compare; AssertionError naming the
    first difference."""
    engine_prefix, bulk_prefix = f"e{uuid.uuid4().hex[:12]}", f"m{uuid.uuid4().hex[:12]}"
    engine = Filled(TableStore.from_connection_string(connection, engine_prefix), folder / "e", FixedClock(START))
    engine.keep, engine.mix.poison = True, poison
    engine.grow(events)
    bulk = Filled(memory_store(), folder / "m", FixedClock(START), replay=engine.raws)
    bulk.grow(events)
    upload(bulk.service, connection, bulk_prefix)
    want, got = _dump(connection, engine_prefix), _dump(connection, bulk_prefix)
    for name in TABLES:
        extra, lost = sorted(set(got[name]) - set(want[name])), sorted(set(want[name]) - set(got[name]))
        assert got[name] == want[name], f"table {name}: bulk fill has {extra[:1]}, engine fill {lost[:1]}"
    answers = lookups(TableStore.from_connection_string(connection, engine_prefix), engine.sample)
    again = lookups(TableStore.from_connection_string(connection, bulk_prefix), bulk.sample)
    for name, call in answers.items():
        expected, found = call(), again[name]()
        assert expected, f"{name}: found nothing after {events} events"
        assert found == expected, f"{name}: bulk fill answers {found!r}, engine fill {expected!r}"
    drop(connection, (engine_prefix, bulk_prefix))
    return Same(events, sum(len(rows) for rows in want.values()), len(answers))


def drop(connection: str, prefixes: tuple[str, ...]) -> None:
    """Delete the tables of each prefix."""
    for prefix in prefixes:
        store = TableStore.from_connection_string(connection, prefix)
        for name in TABLES:
            store.service.delete_table(f"{prefix}{name}")
