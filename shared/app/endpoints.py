"""Online endpoints for the policy's `azureml_endpoint` CD targets: which adapter, and CD requests routed to it."""

from __future__ import annotations

from typing import Any

from shared.app.settings import APP_ROOT, AZURE_CLIENT_ID, Settings
from shared.core.actions import TriggerCD
from shared.core.placement import placements
from shared.core.policy import Policy
from shared.core.ports import Deployer, Receipt
from shared.core.rollout_endpoints import Endpoints


class EndpointDeployer:
    """A Deployer that hands `azureml_endpoint` targets' requests to the endpoints, the rest to `other`."""

    def __init__(self, other: Deployer, endpoints: Endpoints, policy: Policy) -> None:
        self.other, self.endpoints = other, endpoints
        self.kinds = {name: target.kind for name, target in policy.cd_targets.items()}

    def deploy(self, request: TriggerCD) -> Receipt:
        """Deploy through the endpoint of the request's target, or through the other CD systems."""
        if self.kinds.get(request.target) == "azureml_endpoint":
            return self.endpoints.deploy(request)
        return self.other.deploy(request)


def endpoint_targets(policy: Policy) -> dict[str, Any]:
    """The policy's azureml_endpoint CD targets by name."""
    return {name: t for name, t in policy.cd_targets.items() if t.kind == "azureml_endpoint"}


def with_endpoints(settings: Settings, ports: dict[str, Any]) -> None:
    """Add the endpoints port (when the policy has azureml_endpoint targets) and route CD requests to it."""
    targets = endpoint_targets(ports["policy"])
    if not targets and "endpoints" not in ports:
        return
    if "endpoints" not in ports:
        if settings.mode == "local":
            from shared.adapters.cd.endpoints_local import LocalEndpoints

            where = placements(ports["policy"], settings.workspace_id)
            ports["endpoints"] = LocalEndpoints(settings.state_dir / "endpoints.db", targets, ports["clock"].now, where)
        else:
            ports["endpoints"] = azureml_endpoints(
                settings, targets, placements=placements(ports["policy"], settings.workspace_id)
            )
    ports["deployer"] = EndpointDeployer(ports["deployer"], ports["endpoints"], ports["policy"])


def azureml_endpoints(settings: Settings, targets: dict[str, Any], **clients: Any) -> Endpoints:
    """The targets' online endpoints (each in its workspace: `placements`) with Azure Monitor metrics; SDKs load on
    first use; tests hand in clients."""
    from shared.adapters.cd.azureml_endpoint.endpoints import AzureMLEndpoints

    workspace = (settings.subscription_id, settings.resource_group, settings.workspace_name)
    client_id = settings.env.get(AZURE_CLIENT_ID) or ""
    return AzureMLEndpoints.build(workspace, client_id, targets, APP_ROOT, **clients)
