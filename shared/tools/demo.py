"""`python -m shared demo`: the whole loop on embedded defaults, printed as a timeline."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.engine.reactor import Outcome, Reactor
from shared.tools import synthetic

MODEL = "credit-risk"


class Timeline:
    """Prints each step with the time since the start."""

    def __init__(self, out: Callable[[str], None] = print) -> None:
        self.start = time.perf_counter()
        self.out = out

    def say(self, text: str) -> None:
        """One line of the timeline."""
        self.out(f"[{time.perf_counter() - self.start:6.2f}s] {text}")

    def show(self, outcomes: list[Outcome]) -> None:
        """What the reactor did with each event."""
        for o in outcomes:
            kinds = ", ".join(
                f"{a['kind']}({a.get('job_name') or a.get('environment') or a.get('channel') or ''})={a.get('status')}"
                for a in o.actions
            )
            short = o.type.rsplit(".", 1)[-1]
            self.out(
                f"          {short}: {o.outcome}{' -> ' + kinds if kinds else ''}{' ! ' + o.error if o.error else ''}"
            )


class _Story:
    """The loop told in process: deliveries go straight to the reactor; the simulator plays Azure ML."""

    def __init__(self, reactor: Reactor, line: Timeline) -> None:
        self.reactor = reactor
        workspace = reactor.workspace
        assert isinstance(workspace, LocalWorkspace)
        self.workspace = workspace
        self.line = line

    def deliver(self, events: list[dict[str, Any]]) -> list[Outcome]:
        """One delivery, and what came of each event."""
        outcomes = self.reactor.handle_delivery(events)
        self.line.show(outcomes)
        return outcomes

    def finish(self, purpose: str, **metrics: float) -> None:
        """Azure ML finishes the latest queued job of a purpose."""
        job = next(j for j in reversed(self.workspace.jobs(status="Queued")) if j["purpose"] == purpose)
        self.line.say(f"Azure ML finishes {job['name']} with {metrics or 'no metrics'}")
        self.deliver(self.workspace.complete_job(job["name"], "Completed", metrics))

    def internal(self, event_type: str, data: dict[str, Any]) -> None:
        """A CD report or an approval, as the HTTP API hands it to the reactor."""
        envelope = synthetic.envelope(event_type, "", data, self.reactor.workspace_id, schema="cloudevents")
        self.line.show([self.reactor.handle(envelope, internal=True)])

    def report(self, version: str, environment: str) -> None:
        """CD reports a deployment."""
        self.line.say(f"CD reports {MODEL}:{version} deployed to {environment}")
        self.internal(
            "MLOpsReactor.DeploymentReported",
            {"model": MODEL, "version": version, "environment": environment, "status": "succeeded"},
        )

    def first_version(self) -> dict[str, Any]:
        """Registration -> offline test -> staging -> approval -> production; returns the registration."""
        self.line.say(f"a data scientist registers {MODEL}")
        registered = self.workspace.register_model(MODEL)
        self.deliver([registered])
        self.finish("offline_test", auc=0.86, latency_ms=120)
        self.report("1", "staging")
        self.line.say("the ML lead approves v1 for production")
        self.internal(
            "MLOpsReactor.ApprovalDecided",
            {"model": MODEL, "version": "1", "decision": "approve", "approver": "ml-lead@contoso.example"},
        )
        self.report("1", "production")
        return registered

    def drift(self) -> None:
        """A monitor breach retrains; the retrained version does not beat the champion."""
        self.line.say("a model monitor breaches its drift threshold")
        self.deliver([synthetic.build("monitor_breach", self.reactor.workspace_id, monitor="credit-risk-monitor")])
        self.finish("retrain")
        self.finish("offline_test", auc=0.84, champion_auc=0.86, latency_ms=110)

    def storm(self) -> None:
        """200 failed runs in one experiment: one alert, the rest grouped."""
        self.line.say("a storm: 200 training runs fail in one experiment")
        storm = [
            synthetic.build(
                "run_status_changed", self.reactor.workspace_id, experiment="nightly-training", status="Failed"
            )
            for _ in range(200)
        ]
        outcomes = self.reactor.handle_delivery(storm)
        sent = sum(1 for o in outcomes for a in o.actions if a.get("status") == "done")
        self.line.say(f"          {len(outcomes)} failures -> {sent} alert(s), the rest grouped")


def run(state_dir: Path | None = None, out: Callable[[str], None] = print) -> Reactor:
    """Drive the loop once; returns the reactor so callers can inspect its state."""
    state = state_dir or Path(tempfile.mkdtemp(prefix="mlops-reactor-demo-"))
    settings = bootstrap.local_settings(state)
    story = _Story(bootstrap.build(settings), Timeline(out))
    story.line.say(f"state in {state}; policy {settings.policy_path.name}")
    registered = story.first_version()
    story.drift()
    story.storm()
    story.line.say("Event Grid redelivers the registration")
    story.deliver([registered])
    story.line.say("history")
    for record in sorted(story.reactor.store.records(MODEL), key=lambda r: r.version):
        out(
            f"          {record.key}: {record.stage}"
            + (f" (approved by {record.approved_by})" if record.approved_by else "")
        )
        for step in record.history:
            out(f"              {step['from']} -> {step['to']}: {step['reason']}")
    story.line.say(f"outbox: {len(list((state / 'outbox').glob('*.txt')))} messages in {state / 'outbox'}")
    return story.reactor
