"""Where an `azureml_endpoint` target deploys: its workspace, and how its deployments name the model (pure).

A target without `workspace` deploys in the app's workspace, where the versions are registered, and names a
version `azureml:<name>:<version>`. A target in another workspace (test, prd) names the version's registry copy,
`azureml://registries/<registry>/models/<name>/versions/<version>`: a workspace cannot deploy another
workspace's model, and the copy is made before the staging CD (engine/registry_order.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.core.policy import Policy
from shared.core.policy_workspaces import find_workspace


@dataclass(frozen=True, kw_only=True)
class Placement:
    """A target's workspace ("": the app's) and environment, and the registry its model comes from (None: none)."""

    workspace_id: str = ""
    environment: str | None = None
    registry: str | None = None

    def model_ref(self, model: str, version: str) -> str:
        """How a deployment names the model version: from the registry when the target is in another workspace."""
        if self.registry:
            return f"azureml://registries/{self.registry}/models/{model}/versions/{version}"
        return f"azureml:{model}:{version}"


HOME = Placement()


def placements(policy: Policy, app_workspace_id: str) -> dict[str, Placement]:
    """Each azureml_endpoint target's placement; a target in the app's own workspace is at HOME."""
    found: dict[str, Placement] = {}
    for name, target in policy.cd_targets.items():
        if target.kind != "azureml_endpoint":
            continue
        listed, _ = find_workspace(policy.workspaces, target.workspace) if target.workspace else (None, "")
        if listed is None or same_workspace(listed.id, app_workspace_id):
            found[name] = Placement(environment=listed.environment) if listed else HOME
            continue
        found[name] = Placement(workspace_id=listed.id, environment=listed.environment, registry=policy.registry)
    return found


def foreign_without_registry(policy: Policy, app_workspace_id: str) -> Mapping[str, str]:
    """Targets in a workspace other than the app's with no registry to take the model from: name -> workspace."""
    if policy.registry or not app_workspace_id:
        return {}
    return {name: p.workspace_id for name, p in placements(policy, app_workspace_id).items() if p.workspace_id}


def same_workspace(a: str, b: str) -> bool:
    """ARM ids compare case-insensitively (a trailing slash aside)."""
    return a.rstrip("/").lower() == b.rstrip("/").lower()
