"""Hosts that share one state, and adapters that log every call (across threads and processes) for race tests."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.actions import Notify, TriggerCD
from shared.core.clock import FixedClock
from shared.core.ports import Receipt
from shared.engine.reactor import Reactor
from tests.functional.driver import Driver


class CallLog:
    """One JSON line per call, appended with O_APPEND so threads and processes never tear each other's lines."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, **entry: Any) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (json.dumps(entry) + "\n").encode())
        finally:
            os.close(fd)

    def entries(self, **match: Any) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows = [json.loads(line) for line in self.path.read_text().splitlines()]
        return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


class LoggedDeployer:
    """Logs every CD request it is asked for (a real CD system would run each one), then records it."""

    def __init__(self, inner: Any, log: CallLog) -> None:
        self.inner, self.log = inner, log

    def deploy(self, request: TriggerCD) -> Receipt:
        self.log.add(
            kind="cd", key=request.key, model=request.model, version=request.version, environment=request.environment
        )
        receipt: Receipt = self.inner.deploy(request)
        return receipt


class LoggedNotifier:
    """Logs every notice it is asked to send, then sends it."""

    def __init__(self, inner: Any, log: CallLog) -> None:
        self.inner, self.log = inner, log

    def send(self, notice: Notify) -> None:
        self.log.add(kind="notify", key=notice.key, template=notice.template)
        self.inner.send(notice)


def host(settings: Settings, clock: FixedClock, log: CallLog, **ports: Any) -> Reactor:
    """A reactor on the shared state folder, its CD and notices logged."""
    plain = bootstrap.build(settings, clock=clock)
    return bootstrap.build(
        settings,
        clock=clock,
        deployer=ports.pop("deployer", None) or LoggedDeployer(plain.deployer, log),
        notifier=LoggedNotifier(plain.notifier, log),
        **ports,
    )


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released at once; each result, or the exception it raised."""
    results: list[Any] = [None] * len(calls)
    gate = threading.Barrier(len(calls))

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def retried(call: Callable[[], Any], attempts: int = 50) -> Any:
    """What Event Grid does: redeliver after a transient failure (here at once, a bounded number of times)."""
    from shared.core.errors import TransientError

    for _ in range(attempts - 1):
        try:
            return call()
        except TransientError:
            continue
    return call()


def to_staging(drive: Driver, version: str = "1") -> None:
    """Register a version and take it to staging."""
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report(version, "staging")
