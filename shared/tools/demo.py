"""`python -m shared demo`: the whole loop on embedded defaults, printed as a timeline."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.app.settings import Settings
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
            kinds = ", ".join(f"{a['kind']}({a.get('job_name') or a.get('environment') or a.get('channel') or ''})"
                              f"={a.get('status')}" for a in o.actions)
            short = o.type.rsplit(".", 1)[-1]
            self.out(f"          {short}: {o.outcome}{' -> ' + kinds if kinds else ''}"
                     f"{' ! ' + o.error if o.error else ''}")


def run(state_dir: Path | None = None, out: Callable[[str], None] = print) -> Reactor:
    """Drive the loop once; returns the reactor so callers can inspect its state."""
    state = state_dir or Path(tempfile.mkdtemp(prefix="mlops-reactor-demo-"))
    settings = Settings.from_env({"REACTOR_MODE": "local", "REACTOR_STATE_DIR": str(state)})
    reactor = bootstrap.build(settings)
    workspace = reactor.workspace
    assert isinstance(workspace, LocalWorkspace)
    line = Timeline(out)
    line.say(f"state in {state}; policy {settings.policy_path.name}")

    def deliver(events: list[dict[str, Any]]) -> list[Outcome]:
        outcomes = reactor.handle_delivery(events)
        line.show(outcomes)
        return outcomes

    def finish(purpose: str, **metrics: float) -> None:
        job = next(j for j in reversed(workspace.jobs(status="Queued")) if j["purpose"] == purpose)
        line.say(f"Azure ML finishes {job['name']} with {metrics or 'no metrics'}")
        deliver(workspace.complete_job(job["name"], "Completed", metrics))

    def report(version: str, environment: str) -> None:
        line.say(f"CD reports {MODEL}:{version} deployed to {environment}")
        data = {"model": MODEL, "version": version, "environment": environment, "status": "succeeded"}
        line.show([reactor.handle(synthetic.envelope("MLOpsReactor.DeploymentReported", "", data,
                                                     reactor.workspace_id, schema="cloudevents"), internal=True)])

    line.say(f"a data scientist registers {MODEL}")
    registered = workspace.register_model(MODEL)
    deliver([registered])
    finish("offline_test", auc=0.86, latency_ms=120)
    report("1", "staging")
    line.say("the ML lead approves v1 for production")
    approval = {"model": MODEL, "version": "1", "decision": "approve", "approver": "ml-lead@contoso.example"}
    line.show([reactor.handle(synthetic.envelope("MLOpsReactor.ApprovalDecided", "", approval,
                                                 reactor.workspace_id, schema="cloudevents"), internal=True)])
    report("1", "production")
    line.say("a model monitor breaches its drift threshold")
    deliver([synthetic.build("monitor_breach", reactor.workspace_id, monitor="credit-risk-monitor")])
    finish("retrain")
    finish("offline_test", auc=0.84, champion_auc=0.86, latency_ms=110)
    line.say("a storm: 200 training runs fail in one experiment")
    storm = [synthetic.build("run_status_changed", reactor.workspace_id, experiment="nightly-training",
                             status="Failed") for _ in range(200)]
    outcomes = reactor.handle_delivery(storm)
    sent = sum(1 for o in outcomes for a in o.actions if a.get("status") == "done")
    line.say(f"          {len(outcomes)} failures -> {sent} alert(s), the rest grouped")
    line.say("Event Grid redelivers the registration")
    deliver([registered])
    line.say("history")
    for record in sorted(reactor.store.records(MODEL), key=lambda r: r.version):
        out(f"          {record.key}: {record.stage}" + (f" (approved by {record.approved_by})"
                                                          if record.approved_by else ""))
        for step in record.history:
            out(f"              {step['from']} -> {step['to']}: {step['reason']}")
    line.say(f"outbox: {len(list((state / 'outbox').glob('*.txt')))} messages in {state / 'outbox'}")
    return reactor
