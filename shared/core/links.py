"""Where things live in Azure ML: a workspace's ARM id and a run's page in the studio (pure string building)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

STUDIO = "https://ml.azure.com"


def workspace_arm_id(subscription: str, resource_group: str, workspace: str) -> str:
    """The ARM id Event Grid puts in `topic` / `source` for a workspace."""
    return (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
    )


def workspace_scope(workspace_id: str) -> tuple[str, str, str] | None:
    """(subscription, resource group, workspace) of a workspace's ARM id; None when it is not one."""
    parts = workspace_id.strip().strip("/").split("/")
    if len(parts) != 8 or parts[0].lower() != "subscriptions" or parts[6].lower() != "workspaces":
        return None
    return parts[1], parts[3], parts[7]


def studio_run(run_id: str, workspace_id: str) -> str:
    """A run's (a job's) page in Azure ML studio."""
    return f"{STUDIO}/runs/{quote(run_id, safe='')}?wsid={_quoted(workspace_id)}"


@lru_cache(maxsize=8)
def _quoted(workspace_id: str) -> str:
    return quote(workspace_id, safe="/")


def studio_endpoint(endpoint: str, workspace_id: str) -> str:
    """An online endpoint's page in Azure ML studio (the path is UNCONFIRMED against the studio's routes)."""
    return f"{STUDIO}/endpoints/realtime/{quote(endpoint, safe='')}/detail?wsid={_quoted(workspace_id)}"


def portal_resource(resource_id: str) -> str:
    """Any ARM resource's blade in the Azure portal."""
    return f"https://portal.azure.com/#resource{quote(resource_id, safe='/')}"
