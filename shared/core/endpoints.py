"""What an online endpoint serves: each deployment's model and its share of live and mirrored traffic (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.core.event_fields import NAME

_SHORT = re.compile(r"^azureml:(?P<name>[^:/@]+):(?P<version>[^:/@]+)$", re.IGNORECASE)
_REGISTRY_ASSET = re.compile(
    r"^azureml://registries/(?P<registry>[^/]+)/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$", re.IGNORECASE
)
_WORKSPACE_ASSET = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices/workspaces/[^/]+"
    r"/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True)
class DeploymentModel:
    """One deployment of an endpoint: the model version it serves and the traffic it takes, in percent."""

    deployment: str
    model: str = ""  # "" when the model is not a registered version (inline, unversioned, none)
    version: str = ""
    traffic: int = 0  # live traffic: what answers callers
    mirror: int = 0  # a copy of live traffic whose answers are dropped (shadow testing)
    model_id: str = ""  # as the workspace states it, for people

    @property
    def key(self) -> str:
        """The model version as the ledger keys it; "" when it is not one of this workspace's versions."""
        return f"{self.model}:{self.version}" if self.model else ""


@dataclass(frozen=True, kw_only=True)
class EndpointTraffic:
    """An online endpoint as read from the workspace: its tags and its deployments."""

    endpoint: str
    tags: Mapping[str, str] = field(default_factory=dict)
    deployments: tuple[DeploymentModel, ...] = ()


def model_version(model_id: str) -> tuple[str, str]:
    """(name, version) of a model reference: `azureml:<name>:<version>`, its workspace ARM id, or a registry copy
    (`azureml://registries/<r>/models/<name>/versions/<version>`, the same version copied from dev: see
    `registry_of`); else ("", ""), e.g. an unversioned or inline model, which the ledger cannot know."""
    text = model_id.strip()
    match = _SHORT.match(text) or _WORKSPACE_ASSET.match(text) or _REGISTRY_ASSET.match(text)
    if match is None or not NAME.match(match["name"]) or not NAME.match(match["version"]):
        return "", ""
    return match["name"], match["version"]


def registry_of(model_id: str) -> str | None:
    """The registry a model reference names (lower case), None for a workspace's own model."""
    match = _REGISTRY_ASSET.match(model_id.strip())
    return match["registry"].lower() if match else None
