"""A deployment request an Azure ML endpoint refused outright (quota, a bad instance type): there is no deployment
for the rollout timer to find, so the refusal itself becomes the rollout's `failed` step, and on-call is paged."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.core.policy import Policy
from shared.core.rollout import Step, deployment_name
from shared.core.rollout_endpoints import DeploymentView
from shared.core.rollout_event import step_event
from shared.core.state import Intent, IntentStatus


def refused_deployments(
    results: Iterable[Intent], policy: Policy, workspace_id: str, now: datetime
) -> list[dict[str, Any]]:
    """The `failed` step events of the CD requests to azureml_endpoint targets that were refused for good."""
    events = []
    for intent in results:
        action = intent.action
        target = policy.cd_targets.get(str(action.get("target")))
        if action.get("kind") != "trigger_cd" or intent.status is not IntentStatus.FAILED or target is None:
            continue
        if target.kind != "azureml_endpoint":
            continue
        model, version, environment = str(action["model"]), str(action["version"]), str(action["environment"])
        view = DeploymentView(
            name=deployment_name(model, version), model=model, version=version, environment=environment, state="refused"
        )
        reason = str(intent.result.get("error") or "the deployment request was refused")
        step = Step(name="failed", target=str(action["target"]), deployment=view, reason=reason)
        events.append(step_event(step, workspace_id, now))
    return events
