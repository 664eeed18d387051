"""A long history on Table Storage in minutes: the real engine and TableStore write the mix to an in-memory table
service (`bench.memtable`), and every entity they wrote is then copied to Azurite in entity-group transactions (up to
100 entities of one partition each) from a few threads. The rows are the store's own, key for key; only the
transport differs (server-assigned ETags and Timestamps are Azurite's)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.batch import BatchSender
from bench.memory import MemoryDeployer, MemoryNotifier, MemoryWorkspace
from bench.memtable import MemoryService, MemoryTable, Props
from bench.scaling import Mix
from shared.adapters.store.table.store import TableStore
from shared.app import bootstrap
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from shared.tools import synthetic

BATCH, BATCH_BYTES = 100, 2_000_000  # a transaction holds at most 100 entities and 4 MiB
POISON = 250  # one event in 250 is malformed: rejected, it becomes a dead letter (the lookups page through them)


def reactor_on(store: TableStore, folder: Path, clock: FixedClock) -> Reactor:
    """The real core on `store`, its other effects in memory."""
    return bootstrap.local(
        folder,
        clock=clock,
        store=store,
        workspace=MemoryWorkspace({"auc": 0.9, "latency_ms": 10}),
        deployer=MemoryDeployer(),
        notifier=MemoryNotifier(),
    )


class TableMix(Mix):
    """The realistic mix, with one event in `poison` a registration missing its model name (a dead letter)."""

    poison = POISON

    def event(self, i: int) -> dict[str, Any]:
        if i % self.poison != self.poison - 1:
            return super().event(i)
        self.clock.advance(seconds=30)
        raw = synthetic.build("model_registered", self.reactor.workspace_id, model=f"m{i % 100}", version=str(i))
        raw["data"] = {k: v for k, v in raw["data"].items() if k != "modelName"}
        return raw


def memory_store() -> TableStore:
    """The real TableStore on an in-memory table service (its `service`), tables named without a prefix."""
    service: Any = MemoryService()  # stands in for the SDK's TableServiceClient
    return TableStore(service, "")


@dataclass
class Filled:
    """The engine on `store`, grown event by event through the mix, or through `replay` (events as JSON) again."""

    store: TableStore
    folder: Path
    clock: FixedClock
    replay: list[str] | None = None
    keep: bool = False  # keep every event delivered in `raws`, as JSON
    poison: int = POISON
    raws: list[str] = field(default_factory=list)
    delivered: int = 0
    sample: str = ""  # an event 100 before the end of the last growth (half way, if shorter)

    def __post_init__(self) -> None:
        self.reactor = reactor_on(self.store, self.folder, self.clock)
        self.mix = TableMix(self.reactor, self.clock)
        self.mix.poison = self.poison

    def grow(self, size: int) -> None:
        """Deliver events up to `size` in all (the reactor's warnings of rejected events silenced)."""
        quiet = logging.getLogger("mlops_reactor")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            for i in range(self.delivered, size):
                raw = self._next(i)
                self.raws += [json.dumps(raw)] if self.keep else []
                self.sample = str(raw["id"]) if i == size - min(100, size // 2) else self.sample
        finally:
            quiet.setLevel(level)
        self.delivered = size

    def _next(self, i: int) -> dict[str, Any]:
        if self.replay is None:
            raw = self.mix.event(i)
            self.mix.deliver(raw)
            return raw
        self.clock.advance(seconds=30)  # as the mix moves time
        raw = json.loads(self.replay[i])
        self.reactor.handle(raw)
        return dict(raw)

    @property
    def service(self) -> MemoryService:
        """The in-memory table service (a store from `memory_store`)."""
        service: Any = self.store.service
        if not isinstance(service, MemoryService):
            raise TypeError("not a store from memory_store()")
        return service

    def entities(self) -> int:
        return sum(len(rows) for table in self.service.tables.values() for rows in table.rows.values())


def upload(service: MemoryService, connection: str, prefix: str, threads: int = 4) -> int:
    """Copy every entity of `service` into tables `<prefix><name>` (created); the number of entities copied."""
    target = TableStore.from_connection_string(connection, prefix)
    for name in service.tables:
        target.table(name)  # created
    local = threading.local()

    def send(item: tuple[str, list[Props]]) -> int:
        if not hasattr(local, "sender"):
            local.sender = BatchSender(connection)
        name, rows = item
        local.sender.create(f"{prefix}{name}", rows)
        return len(rows)

    with ThreadPoolExecutor(threads) as pool:
        work = ((name, rows) for name, table in service.tables.items() for rows in batches(table))
        return sum(pool.map(send, work))


def batches(table: MemoryTable) -> Iterator[list[Props]]:
    """The table's entities, each batch of one partition, at most BATCH entities and about BATCH_BYTES."""
    rows: list[Props] = []
    size = 0
    for row in table.entities():
        weight = sum(len(str(v)) * 2 + len(k) * 2 for k, v in row.items())
        full = len(rows) == BATCH or size + weight > BATCH_BYTES
        if rows and (full or row["PartitionKey"] != rows[0]["PartitionKey"]):
            yield rows
            rows, size = [], 0
        rows.append(row)
        size += weight
    if rows:
        yield rows
