"""A whole-loop state machine with crashes at every step boundary, for the stateful property test."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.store.sqlite import SqliteStore
from shared.app import bootstrap
from shared.core.clock import FixedClock
from shared.core.errors import TransientError
from shared.core.state import Commit, Committed, Finish, Intent
from shared.engine.outcome import Outcome
from tests.functional.driver import Driver
from tests.functional.races import CallLog, LoggedDeployer, host

MODEL = "m"
ALLOWED = "ml-lead@contoso.example"  # the approver policy.yaml names


class Killed(BaseException):
    """The process died here: nothing after this point runs, not even a release."""


class Faults:
    """Where the next delivery dies: before/after the commit, before/after an effect, before/after the finish."""

    def __init__(self) -> None:
        self.at: str | None = None
        self.dead = False

    def point(self, name: str) -> None:
        if self.at == name:
            self.at, self.dead = None, True
            raise Killed(name)


class CrashingStore:
    """The real SQLite store; a crash point around each write, and no release from a dead process."""

    def __init__(self, inner: SqliteStore, faults: Faults) -> None:
        self.inner, self.faults = inner, faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def commit(self, commit: Commit, now: datetime, lease_seconds: int) -> Committed:
        self.faults.point("commit-before")
        committed = self.inner.commit(commit, now, lease_seconds)
        self.faults.point("commit-after")
        return committed

    def finish(self, finish: Finish) -> None:
        self.faults.point("finish-before")
        self.inner.finish(finish)
        self.faults.point("finish-after")

    def release(self, claim_id: str, results: tuple[Intent, ...] = ()) -> None:
        if not self.faults.dead:
            self.inner.release(claim_id, results)


def _between_parts(store: Any, faults: Faults) -> Any:
    """A Table store also dies inside its commit ("commit-parts"): the claim and the job's new status written, the
    decision not; a dead process rolls nothing back."""
    write_parts, rollback = getattr(store, "_write_parts", None), getattr(store, "_rollback", None)
    if write_parts is None or rollback is None:
        return store

    def parts(*args: Any, **kwargs: Any) -> Any:
        faults.point("commit-parts")
        return write_parts(*args, **kwargs)

    def undo(*args: Any, **kwargs: Any) -> None:
        if not faults.dead:
            rollback(*args, **kwargs)

    store._write_parts, store._rollback = parts, undo
    return store


class CrashingDeployer(LoggedDeployer):
    """Dies just before or just after a CD request leaves."""

    def __init__(self, inner: Any, log: CallLog, faults: Faults) -> None:
        super().__init__(inner, log)
        self.faults = faults

    def deploy(self, request: Any) -> Any:
        self.faults.point("effect-before")
        receipt = super().deploy(request)
        self.faults.point("effect-after")
        return receipt


class World:
    """One fresh state folder with a driver whose store and CD can be killed at a chosen point."""

    def __init__(self, store: Any = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="reactor-machine-"))
        settings = bootstrap.local_settings(self.folder / "state")
        self.clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
        self.log = CallLog(self.folder / "calls.jsonl")
        self.faults = Faults()
        plain = Driver(host(settings, self.clock, self.log))
        store = CrashingStore(
            _between_parts(store, self.faults) or SqliteStore(settings.state_dir / "reactor.db"), self.faults
        )
        reactor = host(
            settings, self.clock, self.log, store=store, deployer=CrashingDeployer(plain.cd, self.log, self.faults)
        )
        self.drive = Driver(reactor)
        self.sent: list[dict[str, Any]] = []

    def deliver(self, event: dict[str, Any], *, internal: bool = False) -> Outcome | None:
        """One delivery as Event Grid makes it: None if it failed (transiently, or the process died)."""
        self.faults.dead = False
        try:
            return self.drive.reactor.handle(event, internal=internal)
        except (TransientError, Killed):
            return None
        finally:
            self.faults.dead = False

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
