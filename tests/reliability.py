"""`make reliability`: the loop's promises measured at scale, on SQLite and on Table Storage (Azurite).

Prints, per store: a scenario of N events delivered 3x in shuffled order with a crash injected at a random
step boundary in a quarter of the deliveries (duplicate effects, lost events, stuck claims after the drain);
approve-vs-reject races (production without approval, decisions per race); 16 concurrent deliveries of one
event (effects).
"""

from __future__ import annotations

import contextlib
import io
import logging
import random
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.core.clock import FixedClock
from shared.core.lifecycle import Stage
from shared.tools import synthetic
from tests.functional.driver import Driver
from tests.functional.loop_machine import ALLOWED, MODEL, World
from tests.functional.races import CallLog, host, retried, to_staging, together
from tests.functional.test_races import fresh

POINTS = ("commit-before", "commit-after", "effect-before", "effect-after", "finish-before", "finish-after")
POINTS_TABLE = ("commit-parts",)  # inside a Table store's commit: the job's new status written, the decision not


def _possible(world: World, rng: random.Random) -> list[tuple[dict[str, Any], bool]]:
    """The events the workspace, CD and people could send now."""
    drive, ws = world.drive, world.drive.reactor.workspace_id
    store = drive.reactor.store
    out: list[tuple[dict[str, Any], bool]] = [(drive.workspace.register_model(MODEL, {}), False)]
    for job in drive.workspace.jobs(status="Queued"):
        if job["purpose"] == "offline_test":
            metrics = {"auc": rng.choice([0.5, 0.9, 0.95]), "latency_ms": 10}
            out += [(e, False) for e in drive.workspace.complete_job(job["name"], "Completed", metrics)]
    internal = lambda kind, **data: synthetic.envelope(kind, "", data, ws, schema="cloudevents")  # noqa: E731
    for record in store.records(MODEL):
        if record.stage is Stage.CANDIDATE:
            out.append(
                (
                    internal(
                        "MLOpsReactor.DeploymentReported",
                        model=MODEL,
                        version=record.version,
                        environment="staging",
                        status="succeeded",
                    ),
                    True,
                )
            )
        elif record.stage is Stage.STAGING:
            for decision in ("approve", "reject") if rng.random() < 0.3 else ("approve",):
                out.append(
                    (
                        internal(
                            "MLOpsReactor.ApprovalDecided",
                            model=MODEL,
                            version=record.version,
                            approver=ALLOWED,
                            decision=decision,
                        ),
                        True,
                    )
                )
        elif record.stage is Stage.APPROVED:
            out.append(
                (
                    internal(
                        "MLOpsReactor.DeploymentReported",
                        model=MODEL,
                        version=record.version,
                        environment="production",
                        status="succeeded",
                    ),
                    True,
                )
            )
    out += [
        (synthetic.build("run_status_changed", ws, experiment=f"e{rng.randrange(5)}", status="Failed"), False)
        for _ in range(rng.randrange(1, 6))
    ]
    return out


def scenario(events: int, store: Any = None, seed: int = 7) -> dict[str, int]:
    """Deliver `events` events three times each, shuffled, with crashes; then drain and count."""
    rng, world = random.Random(seed), World(store)
    points = POINTS + (POINTS_TABLE if store is not None else ())
    world.drive.outbox.console = None
    sent: list[tuple[dict[str, Any], bool]] = []
    try:
        while len(sent) < events:
            batch = _possible(world, rng)[: events - len(sent)]
            sent += batch
            deliveries = batch * 3
            rng.shuffle(deliveries)
            for raw, internal in deliveries:
                world.faults.at = rng.choice(points) if rng.random() < 0.25 else None
                world.deliver(raw, internal=internal)
                world.faults.at = None
            world.clock.advance(seconds=rng.choice([1, 30, 400]))
        world.clock.advance(seconds=world.drive.reactor.lease_seconds + 1)
        world.drive.reactor.sweep(limit=10_000)
        for raw, internal in sent:
            world.deliver(raw, internal=internal)
        final = [world.drive.reactor.handle(raw, internal=internal).outcome for raw, internal in sent]
        cd = Counter(c["key"] for c in world.log.entries(kind="cd"))
        records = world.drive.reactor.store.records(MODEL)
        stages = Counter(str(r.stage) for r in records)
        tested = {
            j["version"] for j in world.drive.workspace.jobs(status="Completed") if j["purpose"] == "offline_test"
        }
        return {
            "events": len(sent),
            "deliveries": 3 * len(sent),
            "duplicate CD requests": sum(n - 1 for n in cd.values()),
            "lost (not completed, not rejected)": sum(o not in ("duplicate", "rejected", "ignored") for o in final),
            "stuck (stalled after the drain)": len(world.drive.reactor.store.stalled(world.clock.now(), 10_000)),
            "verdicts lost (tested, still testing)": sum(
                r.stage is Stage.TESTING and r.version in tested for r in records
            ),
            "versions in production": stages["production"],
        }
    finally:
        world.close()


def _race(root: Path, n: int, make_store: Callable[[Path], Any]) -> tuple[int, bool, int]:
    """One approve-vs-reject race: decisions taken, production without approval, production requests."""
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    log = CallLog(root / f"calls-{n}.jsonl")
    a = Driver(host(fresh(root, n), clock, log, store=make_store(root / f"race-{n}")))
    b = Driver(host(fresh(root, n), clock, log, store=make_store(root / f"race-{n}")))
    a.outbox.console = b.outbox.console = None
    to_staging(a)
    outcomes = together(lambda: retried(lambda: a.approve("1")), lambda: retried(lambda: b.approve("1", reject=True)))
    decided = sum(getattr(o, "outcome", "") == "handled" for o in outcomes)
    production = log.entries(kind="cd", environment="production")
    return decided, bool(production) and a.stage("1") != "approved", len(production)


def races(count: int, make_store: Callable[[Path], Any]) -> dict[str, int]:
    """Approve and reject of one staging version at once, `count` times."""
    figures: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for n in range(count):
            decided, bypassed, requests = _race(Path(folder), n, make_store)
            figures["races"] += 1
            figures["exactly one decision"] += decided == 1
            figures["production without approval"] += bypassed
            figures["production requests"] += requests
    return dict(figures)


def main() -> None:
    """Print the figures on SQLite, then on Azurite when it can be started (the loop's own chatter silenced)."""
    logging.disable(logging.CRITICAL)
    with contextlib.redirect_stderr(io.StringIO()):
        _figures()


def _figures() -> None:
    from shared.adapters.store.sqlite import SqliteStore

    events = 1000 if "--quick" not in sys.argv else 200
    stores: list[tuple[str, Callable[[Path], Any] | None]] = [
        ("SQLite", lambda folder: SqliteStore(folder / "state" / "reactor.db"))
    ]
    azurite = _azurite()
    if azurite is not None:
        from shared.adapters.store.table.store import TableStore

        prefixes: dict[Path, str] = {}
        stores.append(
            (
                "Table Storage (Azurite)",
                lambda folder: TableStore.from_connection_string(
                    azurite, prefix=prefixes.setdefault(folder, f"t{uuid.uuid4().hex[:12]}")
                ),
            )
        )
    for name, make in stores:
        print(f"{name}:")
        table = make(Path(tempfile.mkdtemp())) if name.startswith("Table") and make else None
        for key, value in scenario(events, table).items():
            print(f"  scenario: {key:40s} {value}")
        for key, value in races(200 if "--quick" not in sys.argv else 30, make).items():  # type: ignore[arg-type]
            print(f"  approve vs reject: {key:33s} {value}")


def _azurite() -> str | None:
    """A connection string to an Azurite started for this run (stopped at exit), or None if it cannot start."""
    import atexit

    from tests.contract.azurite import AZURITE, connection_string, start, stop

    if not AZURITE.exists():
        print("(Azurite not installed: `make test` installs it into tools/; Table Storage figures skipped)")
        return None
    process, port = start(Path(tempfile.mkdtemp()) / "azurite.log")
    atexit.register(stop, process)
    return connection_string(port)


if __name__ == "__main__":
    main()
