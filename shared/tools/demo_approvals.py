"""Demo scenario "approvals": four eyes, two of three approvers, expiry and a fresh request, a new champion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.core.clock import FixedClock
from shared.core.policy import Policy, load_policy, parse_policy
from shared.engine.expiry import expire_approvals
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from shared.web import http_api
from shared.web.approval_request import request_fresh

MODEL = "credit-risk"
ANA, BO, CY = "ana@contoso.example", "bo@contoso.example", "cy@contoso.example"


def demo_policy(reactor_policy: Path) -> Policy:
    """The example policy with two approvals required from a group of three, and a one-day expiry."""
    document = load_policy(reactor_policy).model_dump(mode="json")
    rule = document["models"][0]
    rule["approvers"] = [ANA, BO, CY]
    rule["approval"] = {**rule["approval"], "required": 2, "group": [ANA, BO, CY], "expiry_hours": 24}
    return parse_policy(document)


class _Scene:
    """The reactor in process on a clock the story moves; each step printed."""

    def __init__(self, reactor: Reactor, clock: FixedClock, out: Callable[[str], None]) -> None:
        self.reactor, self.clock, self.out = reactor, clock, out
        workspace = reactor.workspace
        assert isinstance(workspace, LocalWorkspace)
        self.workspace = workspace

    def say(self, text: str) -> None:
        self.out(f"[{self.clock.now():%a %H:%M}] {text}")

    def to_staging(self, registrant: str, auc: float, champion_auc: float | None = None) -> str:
        event = self.workspace.register_model(MODEL, {"registered_by": registrant})
        version = str(event["data"]["modelVersion"])
        self.reactor.handle_delivery([event])
        job = next(j for j in reversed(self.workspace.jobs(status="Queued")) if j["purpose"] == "offline_test")
        metrics = {"auc": auc, "latency_ms": 100.0} | ({"champion_auc": champion_auc} if champion_auc else {})
        self.reactor.handle_delivery(self.workspace.complete_job(job["name"], "Completed", metrics))
        self.deployed(version, "staging")
        record = self.reactor.store.get_record(MODEL, version)
        until = record.waiting_until if record else None
        self.say(f"{registrant} registered {MODEL}:{version}; it passed the gate and waits in staging until {until}")
        return version

    def deployed(self, version: str, environment: str) -> None:
        data = {"model": MODEL, "version": version, "environment": environment, "status": "succeeded"}
        raw = synthetic.envelope(
            "MLOpsReactor.DeploymentReported", "", data, self.reactor.workspace_id, schema="cloudevents"
        )
        self.reactor.handle(raw, internal=True)

    def decide(self, version: str, by: str, decision: str = "approve") -> dict[str, Any]:
        fields = {"decision": decision, "approver": by}
        status, body = http_api.decide_approval(self.reactor, MODEL, version, fields, {}, trust_body_identity=True)
        said = body.get("error") or "; ".join(body.get("notes") or ()) or body.get("outcome")
        self.say(f"{by} {decision}s {MODEL}:{version} -> HTTP {status}: {said}")
        return dict(body)

    def stage(self, version: str) -> str:
        record = self.reactor.store.get_record(MODEL, version)
        return str(record.stage) if record else "unknown"


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """Tell the approval hygiene story on a fresh in-process local app in `state_dir`."""
    clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    policy = demo_policy(bootstrap.local_settings(state_dir).policy_path)
    scene = _Scene(bootstrap.local(state_dir, clock=clock, policy=policy), clock, out)
    out("approval hygiene: 2 of {ana, bo, cy} must approve; the registrant may not; a request expires after 24 h")
    v1 = scene.to_staging(ANA, auc=0.86)
    scene.decide(v1, ANA)  # four eyes: refused
    scene.decide(v1, BO)
    scene.decide(v1, BO.upper())  # the same person again, in another case: one event id, counted once
    clock.advance(hours=25)
    for o in expire_approvals(scene.reactor, clock.now(), 100):
        scene.say(f"expire-approvals: {o.outcome}, notices: {', '.join(a['channel'] for a in o.actions)}")
    scene.decide(v1, CY)  # refused: the request expired
    status, body = request_fresh(
        scene.reactor, MODEL, v1, b"", "", {"x-ms-client-principal-name": BO}, trust_body_identity=False
    )
    scene.say(f"{BO} asks for a fresh request -> HTTP {status}: {body['outcome']}")
    scene.decide(v1, BO)
    scene.decide(v1, CY)
    scene.deployed(v1, "production")
    cd = [r for r in scene.reactor.deployer.requests() if r.environment == "production"]  # type: ignore[attr-defined]
    scene.say(f"{MODEL}:{v1} is {scene.stage(v1)}; production CD requests: {len(cd)} (approved by {cd[0].approved_by})")
    v2 = scene.to_staging(CY, auc=0.9, champion_auc=0.86)
    v3 = scene.to_staging(CY, auc=0.91, champion_auc=0.86)
    scene.decide(v2, ANA)
    scene.decide(v3, ANA)
    scene.decide(v3, BO)
    scene.deployed(v3, "production")
    scene.say(f"{MODEL}:{v3} is the new champion; {MODEL}:{v2} was asked for while {v1} was")
    scene.decide(v2, BO)  # refused: the evidence changed; a fresh request goes out
    record = scene.reactor.store.get_record(MODEL, v1)
    out(f"ledger of {MODEL}:{v1}:")
    for step in record.history if record else ():
        out(
            f"    {step['at']}  {step['from']} -> {step['to']}: {step['reason']}"
            + (f" (by {step['by']})" if step.get("by") else "")
        )
