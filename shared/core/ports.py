"""The core's ports: what it needs from the world, as narrow Protocols."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.core.actions import Notify, SubmitJob, TriggerCD
from shared.core.endpoints import EndpointTraffic
from shared.core.state import Conflict, JobRef, LedgerEntry
from shared.core.store import Store

__all__ = [
    "Clock",
    "Conflict",
    "Deployer",
    "JobRef",
    "JobStatus",
    "LedgerEntry",
    "Notifier",
    "Receipt",
    "Store",
    "Workspace",
]


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """What an external system answered: its reference and a link for people."""

    ref: str
    url: str = ""


@dataclass(frozen=True, kw_only=True)
class JobStatus:
    """Where a job stands in the workspace (Azure ML's status names: Running, Completed, Failed, Canceled...)."""

    status: str
    experiment: str = ""


class Workspace(Protocol):
    """The Azure ML workspace: jobs, their metrics, model tags."""

    def submit_job(self, job: SubmitJob) -> Receipt:
        """Submit under job.job_name; an existing job of that name counts as submitted."""
        ...

    def job_metrics(self, job_name: str) -> dict[str, float]:
        """The metrics a finished job (or its child steps) logged."""
        ...

    def set_model_tags(self, model: str, version: str, tags: Mapping[str, str]) -> None:
        """Merge tags into a registered model version."""
        ...

    def model_creator(self, model: str, version: str) -> str | None:
        """The person who registered a model version, as the workspace recorded it (None: unknown, or not a person)."""
        ...

    def endpoint_models(self, endpoint: str, workspace_id: str = "") -> EndpointTraffic | None:
        """Read only: an online endpoint's deployments with live or mirrored traffic, and their models; None: gone.

        `workspace_id`: the ARM id of the workspace the endpoint is in ("" or the app's own: this one)."""
        ...

    def job_status(self, name: str) -> JobStatus | None:
        """A job's status and experiment, read-only; None: the workspace does not know the job."""
        ...

    def share_to_registry(self, model: str, version: str, registry: str) -> bool:
        """Copy a model version to an Azure ML registry (same name and version); False: it was there already."""
        ...


class Deployer(Protocol):
    """A CD system that deploys model versions."""

    def deploy(self, request: TriggerCD) -> Receipt:
        """Ask for one deployment; request.key makes a second ask a no-op where the API allows."""
        ...


class Notifier(Protocol):
    """Delivers notices to channels."""

    def send(self, notice: Notify) -> None:
        """Deliver one notice to notice.channel."""
        ...


class Clock(Protocol):
    """The time, so tests can set it."""

    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...
