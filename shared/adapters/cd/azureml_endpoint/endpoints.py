"""The Endpoints port on azure-ai-ml: managed online deployments, endpoint traffic and mirror, health from Monitor.

Nothing waits: a deployment or a traffic update is started and the rollout timer looks again later. Each target
deploys in its workspace (core/placement.py) through that workspace's client (clients.py); a target in another
workspace than the app's takes the model version from the registry. azure-ai-ml and azure-identity are imported
on first use only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.cd.azureml_endpoint.clients import Scope, WorkspaceClients, managed_identity_clients
from shared.adapters.cd.azureml_endpoint.errors import translate
from shared.adapters.cd.azureml_endpoint.metrics import SCOPE, MonitorMetrics
from shared.adapters.cd.common import require_approval
from shared.core.actions import ShiftTraffic, TriggerCD
from shared.core.errors import ReactorError, UpstreamRejected
from shared.core.placement import HOME, Placement
from shared.core.policy_sections import CdTarget
from shared.core.ports import Receipt
from shared.core.rollout import deployment_name
from shared.core.rollout_endpoints import (
    TAG_ENVIRONMENT,
    TAG_MODEL,
    TAG_REQUESTED,
    TAG_STEP,
    TAG_STEP_AT,
    TAG_VERSION,
    DeploymentView,
    EndpointView,
    Health,
)

MLFLOW = "mlflow_model"


class AzureMLEndpoints:
    """The policy's azureml_endpoint targets, each on its workspace's `MLClient` (or a re-pointed one)."""

    def __init__(
        self,
        clients: WorkspaceClients,
        targets: Mapping[str, CdTarget],
        metrics: MonitorMetrics,
        app_root: Path,
        now: Callable[[], datetime] | None = None,
        placements: Mapping[str, Placement] | None = None,
    ) -> None:
        self.clients, self.placements = clients, dict(placements or {})
        self.targets, self.metrics, self.app_root = dict(targets), metrics, app_root
        self._now = now or (lambda: datetime.now(UTC))

    def client(self, target: str) -> Any:
        """The MLClient of the target's workspace, made on first use (azure-ai-ml is heavy: never at start-up)."""
        return self.clients.workspace(self._placed(target).workspace_id)

    def deploy(self, request: TriggerCD) -> Receipt:
        """Create or update the version's deployment on the target's endpoint; started, not waited for."""
        require_approval(request, "Azure ML")
        target = self._target(request.target)
        name = deployment_name(request.model, request.version)
        doing = f"deploying {request.model}:{request.version} to endpoint {target.endpoint}"
        try:
            deployment = self._deployment(request, target, name)
            client = self.client(request.target)
            client.online_deployments.begin_create_or_update(deployment, skip_script_validation=True)
        except ReactorError:
            raise
        except Exception as exc:
            raise translate(exc, doing) from exc
        return Receipt(ref=f"{target.endpoint}/{name}")

    def _deployment(self, request: TriggerCD, target: CdTarget, name: str) -> Any:
        from azure.ai.ml.entities import CodeConfiguration, ManagedOnlineDeployment

        placed = self._placed(request.target)
        # the model's type decides no-code (MLflow) or environment + code: read where the deployment takes it from
        models = (self.clients.registry(placed.registry) if placed.registry else self.clients.workspace()).models
        model = models.get(request.model, version=request.version)
        tags = {
            TAG_MODEL: request.model,
            TAG_VERSION: request.version,
            TAG_ENVIRONMENT: request.environment,
            TAG_REQUESTED: self._now().isoformat(),
        }
        extra: dict[str, Any] = {}
        if getattr(model, "type", None) != MLFLOW:  # MLflow models deploy without code (no-code deployment)
            if not target.environment or not target.code:
                raise UpstreamRejected(
                    f"{request.model}:{request.version} is a {getattr(model, 'type', 'custom')} model: CD target "
                    f"{request.target!r} needs 'environment' and 'code' (with '{target.scoring_script}')"
                )
            code = CodeConfiguration(code=str(self.app_root / target.code), scoring_script=target.scoring_script)
            extra = {"environment": target.environment, "code_configuration": code}
        return ManagedOnlineDeployment(
            name=name,
            endpoint_name=target.endpoint,
            model=placed.model_ref(request.model, request.version),
            instance_type=target.instance_type,
            instance_count=target.instance_count,
            tags=tags,
            **extra,
        )

    def view(self, target: str) -> EndpointView:
        """The endpoint's traffic, mirror and tags, and the deployments on it (ours: tagged with a model version)."""
        endpoint_name = self._target(target).endpoint or ""
        try:
            client = self.client(target)
            endpoint = client.online_endpoints.get(endpoint_name)
            deployments = list(client.online_deployments.list(endpoint_name))
        except Exception as exc:
            raise translate(exc, f"reading endpoint {endpoint_name}") from exc
        ours, others = [], []
        for d in deployments:
            tags = dict(getattr(d, "tags", None) or {})
            if TAG_MODEL in tags and TAG_VERSION in tags:
                ours.append(_view_of(d, tags))
            else:
                others.append(str(d.name))
        return EndpointView(
            target=target,
            endpoint=endpoint_name,
            traffic={k: int(v) for k, v in (endpoint.traffic or {}).items()},
            mirror={k: int(v) for k, v in (getattr(endpoint, "mirror_traffic", None) or {}).items()},
            tags=dict(endpoint.tags or {}),
            deployments=tuple(ours),
            others=tuple(others),
        )

    def shift(self, step: ShiftTraffic, at: str) -> Receipt:
        """Put the endpoint's traffic, mirror and step tags in one update; then delete the old deployments.

        A step the endpoint already shows (tagged) is not applied again: a retry after a crash is a no-op.
        """
        endpoint_name = self._target(step.target).endpoint or ""
        doing = f"rollout step {step.step} of {step.model}:{step.version} on endpoint {endpoint_name}"
        try:
            client = self.client(step.target)
            endpoint = client.online_endpoints.get(endpoint_name)
            tags = dict(endpoint.tags or {})
            if tags.get(TAG_STEP) != f"{step.deployment}:{step.step}":
                endpoint.traffic = dict(step.traffic)
                endpoint.mirror_traffic = dict(step.mirror)
                endpoint.tags = {**tags, TAG_STEP: f"{step.deployment}:{step.step}", TAG_STEP_AT: at}
                client.online_endpoints.begin_create_or_update(endpoint)
            present = {str(d.name) for d in client.online_deployments.list(endpoint_name)}
            for name in step.delete:
                if name in present:
                    client.online_deployments.begin_delete(name=name, endpoint_name=endpoint_name)
        except Exception as exc:
            raise translate(exc, doing) from exc
        return Receipt(ref=f"{endpoint_name}:{step.step}")

    def health(self, target: str, deployment: str, since: datetime, until: datetime) -> Health:
        """The deployment's requests, 5xx and latency percentile from Azure Monitor."""
        config = self._target(target)
        workspace = self.clients.resource_id(self._placed(target).workspace_id)  # the target's, not the app's
        endpoint_id = f"{workspace}/onlineEndpoints/{config.endpoint}"
        return self.metrics.health(endpoint_id, deployment, since, until, config.rollout.latency_percentile)

    def _target(self, name: str) -> CdTarget:
        target = self.targets.get(name)
        if target is None or target.kind != "azureml_endpoint":
            raise UpstreamRejected(f"CD target {name!r} is not an azureml_endpoint target of the policy")
        return target

    def _placed(self, name: str) -> Placement:
        return self.placements.get(name, HOME)

    @classmethod
    def build(
        cls,
        workspace: Scope,
        client_id: str,
        targets: Mapping[str, CdTarget],
        app_root: Path,
        **given: Any,
    ) -> AzureMLEndpoints:
        """On the app's (subscription, resource group, workspace) as the managed identity, other workspaces and the
        registry by `placements`; tests hand in clients (`client`, `clients(scope)`, `registry_client(name)`)."""
        clients, credential = managed_identity_clients(workspace, client_id, given)
        arm = given.get("arm_url") or "https://management.azure.com"
        metrics = MonitorMetrics(arm, lambda: str(credential().get_token(SCOPE).token), given.get("session"))
        return cls(clients, targets, metrics, app_root, given.get("now"), given.get("placements"))


def _view_of(d: Any, tags: Mapping[str, str]) -> DeploymentView:
    state = getattr(d, "provisioning_state", "") or ""
    state = str(getattr(state, "value", state)).lower()  # an enum in the SDK's entities
    return DeploymentView(
        name=str(d.name),
        model=tags[TAG_MODEL],
        version=tags[TAG_VERSION],
        environment=tags.get(TAG_ENVIRONMENT, "production"),
        state=state,
        requested_at=tags.get(TAG_REQUESTED, ""),
        error="" if state != "failed" else _error(d),
    )


def _error(d: Any) -> str:
    """Why a deployment failed, as far as the deployment says (quota, image build, ...)."""
    for attr in ("error", "provisioning_error"):
        value = getattr(d, attr, None)
        if value:
            return str(value)[:500]
    return f"deployment {d.name} failed; see its logs in Azure ML studio"
