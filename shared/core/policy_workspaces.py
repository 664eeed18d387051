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


def find_workspace(workspaces: tuple[WorkspaceEnv, ...], name: str) -> tuple[WorkspaceEnv | None, str]:
    """The listed workspace `name` means (an environment, or an ARM id); else None and why, for a config error."""
    wanted = name.strip().rstrip("/").lower()
    listed = ", ".join(w.environment for w in workspaces)
    if not workspaces:
        return None, f"{name!r} names a workspace, but the policy has no 'workspaces' section to name it from"
    by_id = [w for w in workspaces if w.id.lower() == wanted]
    by_env = [w for w in workspaces if w.environment == wanted]
    if by_id or len(by_env) == 1:
        return (by_id or by_env)[0], ""
    if by_env:
        return None, f"{name!r} is the environment of {len(by_env)} workspaces: give the ARM id of one"
    return None, (
        f"{name!r} is not one of the policy's workspaces: expected an environment listed under "
        f"'workspaces' ({listed}) or the ARM id of one"
    )
