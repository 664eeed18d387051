"""Reconcile at scale: N offline tests in flight on SQLite, their events never came; how long and how many calls.

`python -m bench.reconcile [N]` (default 10,000): registers N model versions through the core (each submits an
offline test), lets the workspace finish them without a word (60% completed, 20% failed, 10% lost, 10% still
running), moves past the policy's job timeout, and runs reconcile (the policy's batch per run) until every page is
done. Then one more run: nothing left to ask. Effects other than the store stay in memory.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta

from bench.memory import MemoryWorkspace
from bench.paths import START, local_reactor
from shared.core.clock import FixedClock
from shared.core.ports import JobStatus
from shared.engine.reconcile import reconcile
from shared.tools import synthetic

MODELS = 100
MIX = ("Completed",) * 6 + ("Failed",) * 2 + (None, "Running")  # per 10 jobs: None = the workspace lost it


class CountingWorkspace(MemoryWorkspace):
    """An in-memory workspace that finishes jobs silently and counts every call reconcile makes."""

    def __init__(self, metrics: Mapping[str, float]) -> None:
        super().__init__(metrics)
        self.status: dict[str, str | None] = {}
        self.calls: Counter[str] = Counter()

    def job_status(self, name: str) -> JobStatus | None:
        self.calls["job_status"] += 1
        found = self.status.get(name, "Running")
        return None if found is None else JobStatus(status=found, experiment="bench")

    def job_metrics(self, job_name: str) -> dict[str, float]:
        self.calls["job_metrics"] += 1
        return super().job_metrics(job_name)

    def set_model_tags(self, model: str, version: str, tags: Mapping[str, str]) -> None:
        self.calls["set_model_tags"] += 1


def run(n: int = 10_000) -> dict[str, object]:
    """The figures for `n` in-flight offline tests."""
    clock = FixedClock(START)
    with local_reactor(clock, in_memory=True) as (reactor, _):
        workspace = CountingWorkspace({"auc": 0.9, "latency_ms": 10})
        reactor.workspace = workspace
        for i in range(n):
            event = synthetic.build(
                "model_registered", reactor.workspace_id, model=f"bench-{i % MODELS}", version=str(i // MODELS + 1)
            )
            reactor.handle(event)
            clock.advance(seconds=1)
        for i, name in enumerate(workspace.submitted):
            workspace.status[name] = MIX[i % len(MIX)]
        inflight = len(reactor.store.inflight_jobs("offline_test", "9999", None, n + 1))
        workspace.calls.clear()  # from here on: reconcile's calls only
        clock.advance(minutes=reactor.policy.reconcile.job_timeout_minutes + 1)
        runs, fed, checked, took = 0, Counter[str](), 0, []
        while True:
            started = time.perf_counter()
            report = reconcile(reactor)
            took.append(time.perf_counter() - started)
            runs += 1
            checked += report.checked
            fed.update(f"{o.type.rsplit('.', 1)[-1]}:{o.outcome}" for o in report.outcomes)
            if not report.more:
                break
        started = time.perf_counter()
        idle = reconcile(reactor)
        idle_s = time.perf_counter() - started
        return {
            "in_flight": inflight,
            "runs": runs,
            "batch": reactor.policy.reconcile.batch,
            "seconds": round(sum(took), 2),
            "ms_per_item": round(sum(took) / max(checked, 1) * 1000, 3),
            "slowest_run_s": round(max(took), 3),
            "checked": checked,
            "workspace_calls": dict(workspace.calls),
            "fed": dict(fed),
            "left_running": len(reactor.store.inflight_jobs("offline_test", "9999", None, n + 1)),
            "after": {"checked": idle.checked, "workspace_calls": idle.workspace_calls, "ms": round(idle_s * 1000, 1)},
            "timeout": str(timedelta(minutes=reactor.policy.reconcile.job_timeout_minutes)),
        }


def main(argv: list[str]) -> None:
    """Print the figures as JSON."""
    print(json.dumps(run(int(argv[0]) if argv else 10_000), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
