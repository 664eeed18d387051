"""A reactor whose CD targets are (simulated) Azure ML online endpoints, and a driver for its rollouts."""

from __future__ import annotations

from typing import Any

from shared.adapters.cd.endpoints_local import LocalEndpoints
from shared.app import bootstrap
from shared.app.rollout_policy import with_endpoints
from shared.app.settings import APP_ROOT, Settings
from shared.core.clock import FixedClock
from shared.core.policy import load_policy
from shared.core.rollout import deployment_name
from shared.engine.outcome import Outcome
from shared.engine.reactor import Reactor
from shared.engine.rollout import advance_rollouts
from tests.functional.driver import Driver

FAST = {"mirror_percent": 20, "mirror_bake_minutes": 10, "canary_percent": 10, "canary_bake_minutes": 30}


def endpoint_reactor(
    settings: Settings, clock: FixedClock, ports: dict[str, Any] | None = None, **rollout: Any
) -> Reactor:
    """The app on embedded adapters with both environments deployed through local online endpoints."""
    policy = with_endpoints(load_policy(APP_ROOT / "policy.yaml"), {**FAST, **rollout})
    return bootstrap.build(settings, clock=clock, policy=policy, **(ports or {}))


class RolloutDriver(Driver):
    """The loop's driver, plus the endpoints and the rollout timer."""

    def __init__(self, reactor: Reactor, clock: FixedClock) -> None:
        super().__init__(reactor)
        assert isinstance(reactor.endpoints, LocalEndpoints)
        self.endpoints: LocalEndpoints = reactor.endpoints
        self.clock = clock

    def tick(self, **later: float) -> list[Outcome]:
        """Move the clock (minutes=...), then run the rollout timer once."""
        if later:
            self.clock.advance(**later)
        return advance_rollouts(self.reactor)

    def steps(self, target: str = "aml-production") -> list[str]:
        """The traffic steps applied so far on a target's endpoint, as `<version>:<step>`."""
        return [f"{s['version']}:{s['step']}" for s in self.endpoints.shifts() if s["target"] == target]

    def prod(self) -> dict[str, int]:
        """The production endpoint's live traffic by model version (deployments with no share left out)."""
        view = self.endpoints.view("aml-production")
        names = {d.name: d.version for d in view.deployments}
        return {names.get(n, n): t for n, t in view.traffic.items() if t}

    def candidate(self, version: str, auc: float = 0.9, champion_auc: float | None = None) -> None:
        """Register the next version and pass its offline test (CD to staging follows)."""
        self.register()
        metrics = {"auc": auc, "latency_ms": 100.0}
        if champion_auc is not None:
            metrics["champion_auc"] = champion_auc
            metrics["champion_latency_ms"] = 100.0
        self.finish("offline_test", **metrics)

    def live(self, version: str = "1") -> None:
        """Take a first version all the way: staging on its endpoint, approval, 100 % in production."""
        self.candidate(version)
        self.tick()
        self.approve(version)
        self.tick()
        self.tick()

    def name(self, version: str, model: str = "credit-risk") -> str:
        return deployment_name(model, version)
