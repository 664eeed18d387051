"""The rollout guardrail told on a fresh local app: a canary that passes, and one that is rolled back.

Azure ML endpoints are the embedded simulator; the clock is the demo's own, so bakes take no real time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.cd.endpoints_local import LocalEndpoints
from shared.adapters.notify.outbox import OutboxNotifier
from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.app.rollout_policy import PRODUCTION_TARGET, with_endpoints
from shared.app.settings import APP_ROOT
from shared.core.clock import FixedClock
from shared.core.policy import load_policy
from shared.core.rollout import deployment_name
from shared.engine.reactor import Reactor
from shared.engine.rollout import advance_rollouts
from shared.tools import synthetic

MODEL = "credit-risk"
APPROVER = "ml-lead@contoso.example"
ROLLOUT = {"mirror_percent": 20, "mirror_bake_minutes": 10, "canary_percent": 10, "canary_bake_minutes": 30}


class _Rollout:
    """Plays Azure ML, the approver and the rollout timer around the app."""

    def __init__(self, reactor: Reactor, clock: FixedClock, out: Callable[[str], None]) -> None:
        assert isinstance(reactor.workspace, LocalWorkspace) and isinstance(reactor.endpoints, LocalEndpoints)
        self.reactor, self.clock, self.out = reactor, clock, out
        self.workspace: LocalWorkspace = reactor.workspace
        self.endpoints: LocalEndpoints = reactor.endpoints

    def say(self, text: str) -> None:
        self.out(f"[{self.clock.now():%H:%M}] {text}")

    def tick(self, minutes: float = 0) -> None:
        """The timer looks at the endpoints (after `minutes`) and takes the steps that are due."""
        self.clock.advance(minutes=minutes)
        before = self.traffic()
        for o in advance_rollouts(self.reactor):
            self.out(f"        {o.id}: {o.outcome}" + (f" - {o.notes[0]}" if o.notes else ""))
            if o.error:
                self.out(f"        ! {o.error}")
        if self.traffic() != before:
            self.out(f"        production traffic: {self.traffic()}")

    def traffic(self) -> str:
        view = self.endpoints.view(PRODUCTION_TARGET)
        versions = {d.name: f"v{d.version}" for d in view.deployments}
        live = ", ".join(f"{versions.get(n, n)} {t}%" for n, t in view.traffic.items() if t) or "none"
        mirrored = ", ".join(f"{versions.get(n, n)} {t}%" for n, t in view.mirror.items() if t)
        return live + (f" (mirrored to {mirrored})" if mirrored else "")

    def candidate(self, auc: float, champion_auc: float | None = None) -> str:
        """Register the next version and pass its offline test: CD starts the staging deployment."""
        registered = self.workspace.register_model(MODEL)
        version = str(registered["data"].get("modelVersion") or registered["data"].get("ModelVersion"))
        self.say(f"{MODEL}:{version} registered; its offline test passes; staging deployment starts")
        self.reactor.handle_delivery([registered])
        job = next(j for j in reversed(self.workspace.jobs(status="Queued")) if j["purpose"] == "offline_test")
        metrics = {"auc": auc, "latency_ms": 100.0}
        if champion_auc is not None:
            metrics.update(champion_auc=champion_auc, champion_latency_ms=100.0)
        self.reactor.handle_delivery(self.workspace.complete_job(job["name"], "Completed", metrics))
        return version

    def approve(self, version: str) -> None:
        self.say(f"{APPROVER} approves {MODEL}:{version}; its production deployment starts")
        data: dict[str, Any] = {"model": MODEL, "version": version, "decision": "approve", "approver": APPROVER}
        envelope = synthetic.envelope("MLOpsReactor.ApprovalDecided", "", data, self.reactor.workspace_id)
        self.reactor.handle(envelope, internal=True)

    def stage(self, version: str) -> str:
        record = self.reactor.store.get_record(MODEL, version)
        return str(record.stage) if record else "unknown"


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """A first version to 100 %, a challenger through mirror and canary, and a canary rolled back on 5xx."""
    clock = FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    policy = with_endpoints(load_policy(APP_ROOT / "policy.yaml"), ROLLOUT)
    story = _Rollout(bootstrap.local(state_dir, policy=policy, clock=clock), clock, out)
    story.say(
        "policy: staging and production are Azure ML online endpoints (simulated); "
        + ", ".join(f"{k}={v}" for k, v in ROLLOUT.items())
    )
    story.say("-- a first version: nothing to compare against, straight to 100 %")
    v1 = story.candidate(auc=0.86)
    story.tick()
    story.approve(v1)
    story.tick()
    story.tick()
    story.say(f"-- a challenger whose canary passes (champion {MODEL}:{v1})")
    v2 = story.candidate(auc=0.9, champion_auc=0.86)
    story.tick()
    story.approve(v2)
    story.tick()
    story.tick(minutes=10)
    story.tick(minutes=30)
    story.tick()
    story.tick()
    story.say(f"-- a challenger that fails under live traffic (champion {MODEL}:{v2})")
    v3 = story.candidate(auc=0.93, champion_auc=0.9)
    story.tick()
    story.approve(v3)
    story.tick()
    story.tick(minutes=10)
    story.endpoints.script(f"health:{deployment_name(MODEL, v3)}", requests=480, errors=43, latency_ms=95)
    story.say(f"{MODEL}:{v3} starts answering 5xx to its canary share")
    story.tick(minutes=5)
    story.tick(minutes=60)
    stages = ", ".join(f"v{v} {story.stage(v)}" for v in (v1, v2, v3))
    story.say(f"stages: {stages}")
    outbox = story.reactor.notifier
    assert isinstance(outbox, OutboxNotifier)
    pages = [p for p in outbox.sent() if p.template == "rollout_rolled_back" and p.channel == "oncall"]
    for page in pages:
        facts = "; ".join(f"{k}: {v}" for k, v in page.facts.items())
        story.say(f"on-call page: {page.title} ({facts})")
