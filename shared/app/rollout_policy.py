"""A policy whose default rule deploys through Azure ML online endpoints: for the rollout demo and tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core.policy import Policy, parse_policy

STAGING_TARGET, PRODUCTION_TARGET = "aml-staging", "aml-production"


def with_endpoints(
    policy: Policy,
    rollout: Mapping[str, Any] | None = None,
    *,
    staging: str = "credit-staging",
    production: str = "credit-prod",
    workspaces: tuple[str | None, str | None] = (None, None),
) -> Policy:
    """`policy` with two azureml_endpoint targets (staging, production) used by every model rule; `workspaces`
    names the workspace of each (e.g. ("test", "prd")), None for the app's."""
    document = policy.model_dump(mode="json")
    common = {"kind": "azureml_endpoint", "instance_type": "Standard_DS3_v2", "instance_count": 1}
    where = [{"workspace": w} if w else {} for w in workspaces]
    document["cd_targets"] = {
        **document["cd_targets"],
        STAGING_TARGET: {**common, "endpoint": staging, **where[0]},
        PRODUCTION_TARGET: {**common, "endpoint": production, "rollout": dict(rollout or {}), **where[1]},
    }
    for rule in document["models"]:
        rule["cd"] = {"staging": STAGING_TARGET, "production": PRODUCTION_TARGET}
    return parse_policy(document, "rollout policy")
