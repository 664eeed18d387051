"""The Workspace port on azure-ai-ml: submit pipeline jobs from pipelines/, read their metrics, tag models.

azure-ai-ml, azure-identity and MLflow are imported on first use only, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import yaml

from shared.adapters.identity import azure_credential
from shared.adapters.workspace.azureml.binding import CUSTOM, MODEL_TYPES, default_experiment, overrides
from shared.adapters.workspace.azureml.endpoints import (
    OnlineDeploymentOperations,
    OnlineEndpointOperations,
    read_endpoint,
)
from shared.adapters.workspace.azureml.errors import is_already_exists, translate
from shared.adapters.workspace.azureml.metrics import RunMetrics, TrackingClient, mlflow_client
from shared.core.actions import SubmitJob
from shared.core.endpoints import EndpointTraffic
from shared.core.errors import UpstreamRejected
from shared.core.links import studio_run, workspace_arm_id, workspace_scope
from shared.core.placement import same_workspace
from shared.core.ports import JobStatus, Receipt

T = TypeVar("T")


class JobOperations(Protocol):
    """The slice of `MLClient.jobs` we call."""

    def create_or_update(self, job: Any, **kwargs: Any) -> Any:
        """Create (or update) a job."""

    def get(self, name: str) -> Any:
        """A job by name."""


class ModelOperations(Protocol):
    """The slice of `MLClient.models` we call."""

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Any:
        """A model version."""

    def create_or_update(self, model: Any) -> Any:
        """Write a model version (only tags and description may change)."""

    def share(
        self, name: str, version: str, *, share_with_name: str, share_with_version: str, registry_name: str
    ) -> Any:
        """Copy a workspace model version into a registry."""


class WorkspaceOperations(Protocol):
    """The slice of `MLClient.workspaces` we call (for the MLflow tracking URI)."""

    def get(self, name: str | None = None, **kwargs: Any) -> Any:
        """The workspace."""


class MLClientSlice(Protocol):
    """The slice of `azure.ai.ml.MLClient` the adapter uses; tests may hand in a fake or a re-pointed client."""

    @property
    def jobs(self) -> JobOperations:
        """Job operations."""

    @property
    def models(self) -> ModelOperations:
        """Model operations."""

    @property
    def workspaces(self) -> WorkspaceOperations:
        """Workspace operations."""

    @property
    def online_endpoints(self) -> OnlineEndpointOperations:
        """Online endpoint operations (read only)."""

    @property
    def online_deployments(self) -> OnlineDeploymentOperations:
        """Online deployment operations (read only)."""


@dataclass(frozen=True, kw_only=True)
class WorkspaceTarget:
    """Which Azure ML workspace, and as whom: plain values that the composition root reads from settings."""

    subscription_id: str
    resource_group: str
    workspace_name: str
    client_id: str = ""  # the user-assigned managed identity; "" = DefaultAzureCredential's own choice
    tracking_uri: str = ""  # MLflow; "" = the workspace's own mlflow_tracking_uri

    @property
    def workspace_id(self) -> str:
        """The workspace's ARM id."""
        return workspace_arm_id(self.subscription_id, self.resource_group, self.workspace_name)


_clients: dict[tuple[str, ...], MLClientSlice] = {}
_clients_lock = threading.Lock()


def ml_client(target: WorkspaceTarget) -> MLClientSlice:
    """The process-wide MLClient for a workspace, with DefaultAzureCredential (managed identity)."""
    key = (target.subscription_id, target.resource_group, target.workspace_name, target.client_id)
    with _clients_lock:
        if key not in _clients:
            from azure.ai.ml import MLClient

            # Few, short in-process retries: Event Grid waits 30 s for an answer and redelivers on its own.
            _clients[key] = MLClient(
                azure_credential(target.client_id),
                target.subscription_id,
                target.resource_group,
                target.workspace_name,
                show_progress=False,
                retry_total=2,
                retry_backoff_max=4,
            )
        return _clients[key]


class AzureMLWorkspace:
    """Jobs, metrics and model tags in one Azure ML workspace; job files are read under `app_root`."""

    def __init__(
        self,
        target: WorkspaceTarget,
        app_root: Path,
        client: MLClientSlice | None = None,
        tracking: Callable[[], TrackingClient] | None = None,
        client_for: Callable[[WorkspaceTarget], MLClientSlice] = ml_client,
    ) -> None:
        self.target = target
        self.app_root = app_root
        self._client = client
        self._client_for = client_for  # another listed workspace's client (its endpoints, for the watchdog)
        self.metrics = RunMetrics(tracking or self._default_tracking)

    @property
    def client(self) -> MLClientSlice:
        """The injected client, else the process-wide one built on first use."""
        if self._client is None:
            self._client = ml_client(self.target)
        return self._client

    def warm_up(self, job_files: Iterable[str]) -> None:
        """What a first event would load, without a request: the SDK and its client, and each job file's schemas.

        A job file that does not load is left for its event to report (with the field and the reason)."""
        _ = self.client.jobs  # the client, built here (azure.ai.ml imported) if it was not handed in
        from azure.ai.ml import load_job

        for name in job_files:
            path = self.app_root / name
            with contextlib.suppress(Exception):
                load_job(path)

    def submit_job(self, job: SubmitJob) -> Receipt:
        existing = self._existing(job.job_name)
        if existing is not None:
            return self._receipt(existing)
        loaded = self.load(job)
        try:
            created = self.client.jobs.create_or_update(loaded)
        except Exception as exc:
            if not is_already_exists(exc):
                raise translate(exc, f"submitting job {job.job_name} from {job.job_file}", self._ws) from exc
            # A concurrent or earlier delivery submitted it: same name, same job.
            created = self._call(f"reading job {job.job_name}", self.client.jobs.get, job.job_name)
        return self._receipt(created)

    def load(self, job: SubmitJob) -> Any:
        """The job YAML loaded with the model, champion, name and tags bound (what submit_job sends)."""
        from azure.ai.ml import load_job

        path = self.app_root / job.job_file
        if not path.is_file():
            raise UpstreamRejected(f"job file {job.job_file} not found under {self.app_root}: check the policy")
        typed, champion_type = self._typed(job)
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            loaded = load_job(path, params_override=overrides(typed, spec, champion_type))
        except Exception as exc:
            raise UpstreamRejected(f"{job.job_file} is not a valid Azure ML job: {str(exc)[:500]}") from exc
        if not loaded.experiment_name:
            loaded.experiment_name = default_experiment(job.purpose)
        return loaded

    def model_type(self, model: str, version: str) -> str:
        """A registered model version's type (mlflow_model, triton_model, custom_model) as a job input takes it."""
        found = str(getattr(self.get_model(model, version), "type", "") or "").lower()
        return found if found in MODEL_TYPES else CUSTOM

    def _typed(self, job: SubmitJob) -> tuple[SubmitJob, str | None]:
        """The job with its model's type, read from the registry when the decision did not know it; the champion's."""
        if job.version is None:
            return job, None
        typed = job if job.model_type else replace(job, model_type=self.model_type(job.model, job.version))
        champion = job.champion_version
        return typed, (job.model_type or self.model_type(job.model, champion)) if champion else None

    def job_metrics(self, job_name: str) -> dict[str, float]:
        return self._call(f"reading the metrics of job {job_name}", self.metrics.of, job_name)

    def job_status(self, name: str) -> JobStatus | None:
        found = self._existing(name)
        if found is None:
            return None
        status = getattr(found, "status", None)
        status = getattr(status, "value", status)  # the SDK answers its JobStatus enum, whose str() is its name
        return JobStatus(status=str(status or ""), experiment=str(getattr(found, "experiment_name", "") or ""))

    def get_model(self, model: str, version: str) -> Any:
        """A registered model version."""
        return self._call(f"reading model {model}:{version}", self.client.models.get, name=model, version=version)

    def model_creator(self, model: str, version: str) -> str | None:
        """`creation_context.created_by` of the model version, when a user (not an app or identity) created it."""
        try:
            found = self.client.models.get(name=model, version=version)
        except Exception as exc:
            if getattr(exc, "status_code", None) == 404:  # not in the registry: nobody to compare with
                return None
            raise translate(exc, f"reading model {model}:{version}", self._ws) from exc
        context = getattr(found, "creation_context", None)
        kind = getattr(context, "created_by_type", None)
        kind = str(getattr(kind, "value", kind) or "").lower()  # the SDK's CreatedByType enum, or a plain string
        who = str(getattr(context, "created_by", "") or "").strip()
        return who or None if kind == "user" else None

    def set_model_tags(self, model: str, version: str, tags: Mapping[str, str]) -> None:
        found = self.get_model(model, version)
        found.tags = {**(found.tags or {}), **{k: str(v) for k, v in tags.items()}}
        self._call(f"tagging model {model}:{version}", self.client.models.create_or_update, found)

    def share_to_registry(self, model: str, version: str, registry: str) -> bool:
        """`models.share` under the same name and version; a version the registry has already counts as copied."""
        try:
            self.client.models.share(
                model, version, share_with_name=model, share_with_version=version, registry_name=registry
            )
        except Exception as exc:
            # The SDK checks first and refuses a version the registry has ("already exists in registry"); a
            # concurrent copy may still meet the service's own conflict: either way the version is there.
            if is_already_exists(exc) or "already exists in registry" in str(exc).lower():
                return False
            raise translate(exc, f"copying model {model}:{version} to registry {registry}", self._ws) from exc
        return True

    def endpoint_models(self, endpoint: str, workspace_id: str = "") -> EndpointTraffic | None:
        client = self._client_of(workspace_id)
        return read_endpoint(client.online_endpoints, client.online_deployments, endpoint, self._call)

    def _client_of(self, workspace_id: str) -> MLClientSlice:
        """This workspace's client, or another's (same identity) when `workspace_id` names another workspace."""
        scope = workspace_scope(workspace_id)
        if scope is None or same_workspace(workspace_id.strip(), self.target.workspace_id):
            return self.client
        subscription, group, name = scope
        return self._client_for(
            replace(self.target, subscription_id=subscription, resource_group=group, workspace_name=name)
        )

    @property
    def _ws(self) -> str:
        return self.target.workspace_name

    def _existing(self, name: str) -> Any:
        try:
            return self.client.jobs.get(name)
        except Exception as exc:
            if getattr(exc, "status_code", None) == 404:
                return None
            raise translate(exc, f"looking up job {name}", self._ws) from exc

    def _receipt(self, job: Any) -> Receipt:
        url = getattr(job, "studio_url", None) or studio_run(str(job.name), self.target.workspace_id)
        return Receipt(ref=str(job.name), url=str(url))

    def _call(self, doing: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise translate(exc, doing, self._ws) from exc

    def _default_tracking(self) -> TrackingClient:
        uri = (
            self.target.tracking_uri
            or self._call("reading the MLflow tracking URI", self.client.workspaces.get, self._ws).mlflow_tracking_uri
        )
        return mlflow_client(str(uri))


if TYPE_CHECKING:
    from shared.core.ports import Workspace

    def _is_a_workspace(workspace: AzureMLWorkspace) -> Workspace:
        return workspace
