"""A small driver for functional tests: deliver events, finish simulated jobs, report CD, approve."""

from __future__ import annotations

from typing import Any

from shared.adapters.cd.recorder import RecordingDeployer
from shared.adapters.notify.outbox import OutboxNotifier
from shared.adapters.workspace.local import LocalWorkspace
from shared.engine.reactor import Outcome, Reactor
from shared.tools import synthetic

APPROVER = "ml-lead@contoso.example"  # the approver policy.yaml names


class Driver:
    """Plays Azure ML, CD and the approver around a real reactor on embedded adapters."""

    def __init__(self, reactor: Reactor) -> None:
        self.reactor = reactor
        # Tests may wrap an embedded adapter (to inject a fault); the driver plays the one inside.
        workspace, notifier, deployer = (
            getattr(p, "inner", p) for p in (reactor.workspace, reactor.notifier, reactor.deployer)
        )
        assert isinstance(workspace, LocalWorkspace) and isinstance(notifier, OutboxNotifier)
        self.workspace: LocalWorkspace = workspace
        self.outbox: OutboxNotifier = notifier
        self.cd: RecordingDeployer | Any = deployer

    def deliver(self, *events: dict[str, Any]) -> list[Outcome]:
        return self.reactor.handle_delivery(list(events))

    def register(self, model: str = "credit-risk", **tags: str) -> tuple[dict[str, Any], list[Outcome]]:
        event = self.workspace.register_model(model, tags)
        return event, self.deliver(event)

    def queued(self, purpose: str) -> dict[str, Any]:
        return next(j for j in reversed(self.workspace.jobs(status="Queued")) if j["purpose"] == purpose)

    def finish(self, purpose: str, status: str = "Completed", **metrics: float) -> list[Outcome]:
        return self.deliver(*self.workspace.complete_job(self.queued(purpose)["name"], status, metrics))

    def internal(self, kind: str, **data: Any) -> Outcome:
        raw = synthetic.envelope(kind, "", data, self.reactor.workspace_id, schema="cloudevents")
        return self.reactor.handle(raw, internal=True)

    def report(self, version: str, environment: str, model: str = "credit-risk", status: str = "succeeded") -> Outcome:
        return self.internal(
            "MLOpsReactor.DeploymentReported", model=model, version=version, environment=environment, status=status
        )

    def approve(self, version: str, by: str = APPROVER, model: str = "credit-risk", reject: bool = False) -> Outcome:
        return self.internal(
            "MLOpsReactor.ApprovalDecided",
            model=model,
            version=version,
            approver=by,
            decision="reject" if reject else "approve",
        )

    def stage(self, version: str, model: str = "credit-risk") -> str | None:
        record = self.reactor.store.get_record(model, version)
        return None if record is None else str(record.stage)

    def notices(self, template: str | None = None) -> list[Any]:
        return [n for n in self.outbox.sent() if template is None or n.template == template]

    def to_production(self, version: str, auc: float = 0.9) -> None:
        """Take the version just registered all the way to production."""
        self.finish("offline_test", auc=auc, latency_ms=100)
        self.report(version, "staging")
        self.approve(version)
        self.report(version, "production")
