"""The `workspaces` section of policy.yaml: the Azure ML workspaces of one loop, each with its environment."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.core.policy_sections import Strict

EnvName = Literal["dev", "test", "prd"]
WORKSPACE_ID = (
    r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+$"
)
REGISTRY_NAME = r"^[A-Za-z0-9][A-Za-z0-9_\-]{2,32}$"


class WorkspaceEnv(Strict):
    """One workspace the loop trusts events from, and the environment its steps belong to."""

    id: str = Field(pattern=WORKSPACE_ID)  # its ARM id, as Event Grid's source / subject names it
    environment: EnvName
