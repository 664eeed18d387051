"""Dev / test / prd: the environment an event (and its steps) belongs to, and the registry copy of a dev version.

Without a `workspaces` section there is one workspace (the app's) and no environment: nothing changes.
Event Grid's events carry their workspace in `source`; our own internal events (`MLOpsReactor.*`) are
attributed by what they speak of: a rollout step to its target's workspace (when the target names one), else
a staging step to test, a production step to prd, an approval to test (the version waits there, in staging).
"""

from __future__ import annotations

from shared.core import event_types as et
from shared.core.actions import CopyToRegistry
from shared.core.lifecycle import ModelVersionRecord
from shared.core.policy import Policy
from shared.core.policy_workspaces import find_workspace

_STAGE_ENV = {"staging": "test", "production": "prd"}


def workspace_env(policy: Policy, workspace_id: str) -> str | None:
    """The environment of a listed workspace; None when it is not listed (or no section)."""
    wanted = workspace_id.rstrip("/").lower()
    return next((w.environment for w in policy.workspaces if w.id.lower() == wanted), None)


def environment_of(event: et.Event, policy: Policy, internal_source: str) -> str | None:
    """The environment an event is attributed to (None: no `workspaces` section, or not attributable)."""
    if not policy.workspaces:
        return None
    if isinstance(event, et.EndpointWritten):
        return workspace_env(policy, event.workspace)
    stage = getattr(event, "environment", "")
    placed = _target_env(policy, event.target) if isinstance(event, et.RolloutObserved) else None
    if placed:
        return placed
    if isinstance(event, et.DeploymentReported | et.RolloutObserved) and stage in _STAGE_ENV:
        return _STAGE_ENV[stage]
    if isinstance(event, et.ApprovalDecided | et.ApprovalExpired | et.ApprovalRequested):
        return "test"
    if event.source.lower() == internal_source.lower() and event.type.startswith("MLOpsReactor."):
        return _STAGE_ENV.get(stage) or workspace_env(policy, internal_source)
    return workspace_env(policy, event.source)


def _target_env(policy: Policy, name: str) -> str | None:
    """The environment of the workspace a CD target deploys in, when the target names one."""
    target = policy.cd_targets.get(name)
    found, _ = find_workspace(policy.workspaces, target.workspace) if target and target.workspace else (None, "")
    return found.environment if found else None


def registry_copy(record: ModelVersionRecord, policy: Policy) -> tuple[CopyToRegistry, ...]:
    """The registry copy of a version registered in dev that passed its gate (none without a `registry`)."""
    registered_in = record.history[0].get("env") if record.history else None
    if not policy.registry or registered_in != "dev":
        return ()
    key = f"registry:{record.model}:{record.version}"
    return (CopyToRegistry(key=key, model=record.model, version=record.version, registry=policy.registry),)
