"""Effect ports that keep everything in memory, so a figure shows the core and its store alone."""

from __future__ import annotations

from collections.abc import Mapping

from shared.core.actions import Notify, SubmitJob, TriggerCD
from shared.core.endpoints import EndpointTraffic
from shared.core.ports import JobStatus, Receipt


class MemoryWorkspace:
    """Accepts jobs and tags; every finished job logged the same metrics."""

    def __init__(self, metrics: Mapping[str, float]) -> None:
        self.metrics = dict(metrics)
        self.submitted: list[str] = []

    def submit_job(self, job: SubmitJob) -> Receipt:
        self.submitted.append(job.job_name)
        return Receipt(ref=job.job_name)

    def job_metrics(self, job_name: str) -> dict[str, float]:
        return dict(self.metrics)

    def set_model_tags(self, model: str, version: str, tags: Mapping[str, str]) -> None:
        return None

    def model_creator(self, model: str, version: str) -> str | None:
        return None

    def share_to_registry(self, model: str, version: str, registry: str) -> bool:
        return True

    def endpoint_models(self, endpoint: str, workspace_id: str = "") -> EndpointTraffic | None:
        return None

    def job_status(self, name: str) -> JobStatus | None:
        return JobStatus(status="Completed", experiment="bench")


class MemoryDeployer:
    """Accepts every CD request."""

    def deploy(self, request: TriggerCD) -> Receipt:
        return Receipt(ref=request.key)


class MemoryNotifier:
    """Counts notices."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, notice: Notify) -> None:
        self.sent += 1
