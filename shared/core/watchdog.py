"""Pure decisions about production traffic: a model version serving a production endpoint without the loop's say.

Azure ML v2 online endpoints emit no ModelDeployed; ARM's ResourceWriteSuccess for the endpoint or one of its
deployments is the signal, and the endpoint as read afterwards (the `Context.endpoint`) is the evidence.
"""

from __future__ import annotations

from typing import Any

from shared.core import events as ev
from shared.core import links
from shared.core.actions import Notify
from shared.core.endpoints import DeploymentModel, EndpointTraffic, registry_of
from shared.core.lifecycle import Stage
from shared.core.plan import Context, Plan, notices_for
from shared.core.policy import Policy

# Stages a version reaches only through gate -> staging -> approval (approved: its production CD is in flight;
# superseded: it was in production, e.g. traffic still draining from it or a rollback to it).
SANCTIONED = frozenset({Stage.APPROVED, Stage.PRODUCTION, Stage.SUPERSEDED})


def on_endpoint_written(event: Any, ctx: Context, policy: Policy) -> Plan:
    """Page on-call once for each model version taking live traffic on a production endpoint unsanctioned."""
    e: ev.EndpointWritten = event
    view = ctx.endpoint
    if view is None:
        return Plan(ignored=f"endpoint {e.endpoint} no longer exists: nothing serves from it")
    if policy.environment_of(view.endpoint, view.tags) != "production":
        return Plan(ignored=f"endpoint {view.endpoint} is not a production endpoint (environments.production)")
    live = [d for d in view.deployments if d.traffic > 0]
    if not live:
        return Plan(ignored=f"no deployment of {view.endpoint} takes live traffic")
    notes: list[str] = []
    pages: list[Notify] = []
    violations: list[str] = []
    for deployment in live:
        known = _known_key(deployment, policy)
        record = ctx.records.get(known) if known else None
        if record is not None and record.stage in SANCTIONED:
            notes.append(f"{deployment.deployment} serves {record.key} ({record.stage}): sanctioned")
            continue
        stage = str(record.stage) if record else "unknown to this app"
        shown = known or deployment.model_id or "a model that is not a registered version"
        violation = (
            f"{shown} takes {deployment.traffic}% of production endpoint {view.endpoint} "
            f"(deployment {deployment.deployment}) while {stage}: production is reached only through "
            "gate, staging and approval"
        )
        violations.append(violation)
        pages += _page(e, ctx, policy, view, deployment, shown, stage, violation)
    if violations and not policy.oncall.channels:
        notes.append("no oncall.channels in the policy: the out-of-band deployment is recorded, not paged")
    return Plan(actions=tuple(pages), notes=tuple(notes), violation="; ".join(violations) or None)


def _known_key(deployment: DeploymentModel, policy: Policy) -> str:
    """The version as the ledger keys it when it is ours: the workspace's own, or its copy in the policy's registry
    (another registry's model of the same name is not); "" otherwise."""
    registry = registry_of(deployment.model_id)
    if registry is not None and registry != (policy.registry or "").lower():
        return ""
    return deployment.key


def _page(
    e: ev.EndpointWritten,
    ctx: Context,
    policy: Policy,
    view: EndpointTraffic,
    deployment: DeploymentModel,
    shown: str,
    stage: str,
    violation: str,
) -> tuple[Notify, ...]:
    """On-call notices keyed by what happened (endpoint, deployment, model version), never by the write."""
    facts = {
        "Endpoint": view.endpoint,
        "Deployment": deployment.deployment,
        "Model": shown,
        "Stage": stage,
        "Live traffic": f"{deployment.traffic}%",
        "Written by": e.writer,
        "Operation": e.operation or "-",
        "Correlation id": e.correlation_id or "-",
        "Problem": violation,
    }
    endpoint_id = f"{ctx.workspace_id}/onlineEndpoints/{view.endpoint}"
    urls = {
        "Endpoint in Azure ML studio": links.studio_endpoint(view.endpoint, ctx.workspace_id),
        "Endpoint in the Azure portal": links.portal_resource(endpoint_id),
    }
    where = f"{view.endpoint}/{deployment.deployment}".lower()  # ARM names are case-insensitive
    about = f"{where}/{deployment.key or deployment.model_id or '-'}"
    title = f"Out-of-band deployment: {shown} serves production endpoint {view.endpoint}"
    return notices_for(about, policy.oncall.channels, "out_of_band", title, facts, urls)
