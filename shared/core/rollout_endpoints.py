"""Azure ML online endpoints as the rollout sees them: what a look at one shows, its health, and the port."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.core.actions import ShiftTraffic, TriggerCD
from shared.core.ports import Receipt

# Tags the reactor writes: on each deployment it creates (whose model version, for which environment, since
# when), and on the endpoint with each traffic step (which step of which deployment, since when: the bake clock).
TAG_MODEL = "mlops_reactor_model"
TAG_VERSION = "mlops_reactor_version"
TAG_ENVIRONMENT = "mlops_reactor_environment"
TAG_REQUESTED = "mlops_reactor_requested_at"
TAG_STEP = "mlops_reactor_step"
TAG_STEP_AT = "mlops_reactor_step_at"

SUCCEEDED = "succeeded"
FAILED_STATES = frozenset({"failed", "canceled"})


@dataclass(frozen=True, kw_only=True)
class DeploymentView:
    """One deployment the reactor made: whose model version, for which environment, how provisioning stands."""

    name: str
    model: str
    version: str
    environment: str
    state: str  # provisioning state, lower case: creating, updating, succeeded, failed, ...
    requested_at: str = ""  # ISO time the reactor asked for it
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class EndpointView:
    """An endpoint's traffic split, mirrored traffic, step tags, and the deployments on it the reactor made."""

    target: str
    endpoint: str
    traffic: Mapping[str, int] = field(default_factory=dict)
    mirror: Mapping[str, int] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    deployments: tuple[DeploymentView, ...] = ()
    others: tuple[str, ...] = ()  # deployments on it the reactor did not make (never deleted by it)


@dataclass(frozen=True, kw_only=True)
class Health:
    """A deployment's requests over a window: how many, how many failed (5xx), a latency percentile."""

    requests: float
    errors: float
    latency_ms: float | None = None
    percentile: str = "P95"
    since: str = ""
    until: str = ""

    @property
    def error_rate(self) -> float:
        """Failed share of the requests (0 with no requests)."""
        return self.errors / self.requests if self.requests else 0.0


class Endpoints(Protocol):
    """The online endpoints of the policy's `azureml_endpoint` CD targets."""

    def deploy(self, request: TriggerCD) -> Receipt:
        """Create or update the model version's deployment on its target's endpoint; return without waiting."""
        ...

    def view(self, target: str) -> EndpointView:
        """The endpoint of a CD target as it is now."""
        ...

    def shift(self, step: ShiftTraffic, at: str) -> Receipt:
        """Set the endpoint's traffic and mirror (tagging the step and `at`), then delete `step.delete`."""
        ...

    def health(self, target: str, deployment: str, since: datetime, until: datetime) -> Health:
        """The deployment's requests, 5xx and latency percentile between two times."""
        ...
