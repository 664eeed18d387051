"""A three-workspace policy (dev = the app's workspace, test, prd) with a registry, and a reactor on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shared.app import bootstrap
from shared.app.settings import APP_ROOT, Settings
from shared.core.clock import FixedClock
from shared.core.policy import Policy, parse_policy
from shared.engine.reactor import Reactor

REGISTRY = "contoso-models"


def sibling(workspace_id: str, name: str) -> str:
    """Another workspace in the same resource group."""
    return workspace_id.rsplit("/", 1)[0] + "/" + name


def envs_policy(dev: str, **extra: Any) -> Policy:
    """The shipped policy with dev / test / prd workspaces and a registry."""
    document = yaml.safe_load((APP_ROOT / "policy.yaml").read_text(encoding="utf-8"))
    document["workspaces"] = [
        {"id": dev, "environment": "dev"},
        {"id": sibling(dev, "ml-test"), "environment": "test"},
        {"id": sibling(dev, "ml-prd"), "environment": "prd"},
    ]
    document["registry"] = REGISTRY
    document.update(extra)
    return parse_policy(document)


def envs_reactor(settings: Settings, clock: FixedClock, **ports: Any) -> Reactor:
    """The app on the embedded adapters, under the three-workspace policy."""
    return bootstrap.build(settings, clock=clock, policy=envs_policy(settings.workspace_id), **ports)


def state_of(path: Path) -> Path:
    """Where a test's state lives."""
    return path / "state"
