"""What a policy may use in each mode: local-only kinds write under the app root, read-only in Azure."""

from __future__ import annotations

from dataclasses import dataclass

from shared.core.placement import foreign_without_registry
from shared.core.policy import Policy

# kind -> why it cannot run in Azure, and what to use there
LOCAL_CD = {"record": "only records the request under the app root (read-only in Azure): use github or azure_devops"}
LOCAL_CHANNELS = {"outbox": "writes files under the app root (read-only in Azure): use teams, email or smtp"}


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One configuration problem: where (a policy path, a setting name) and why. Never a secret value."""

    path: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape /api/health answers."""
        return {"path": self.path, "reason": self.reason}


def problems_for_mode(policy: Policy, mode: str, workspace_id: str = "") -> tuple[Problem, ...]:
    """Every entry of the policy the mode (and the app's workspace) cannot serve (none in local mode)."""
    if mode != "azure":
        return (*registry_source(policy, workspace_id), *target_workspaces(policy, workspace_id))
    found = [
        Problem(path=f"cd_targets.{name}.kind", reason=f"kind {target.kind!r} {LOCAL_CD[target.kind]}")
        for name, target in policy.cd_targets.items()
        if target.kind in LOCAL_CD
    ]
    found += [
        Problem(path=f"channels.{name}.kind", reason=f"kind {channel.kind!r} {LOCAL_CHANNELS[channel.kind]}")
        for name, channel in policy.channels.items()
        if channel.kind in LOCAL_CHANNELS
    ]
    return (*found, *registry_source(policy, workspace_id), *target_workspaces(policy, workspace_id))


def registry_source(policy: Policy, workspace_id: str) -> tuple[Problem, ...]:
    """A registry copy shares from the app's workspace: it must be the policy's dev workspace."""
    if not policy.registry or not workspace_id:
        return ()
    dev = [w.id for w in policy.workspaces if w.environment == "dev"]
    if workspace_id.lower() in (d.lower() for d in dev):
        return ()
    reason = (
        f"the registry copy shares from the app's workspace {workspace_id!r}, which is not the policy's dev "
        f"workspace ({', '.join(dev)}): set the app's workspace settings to the dev workspace"
    )
    return (Problem(path="workspaces", reason=reason),)


def target_workspaces(policy: Policy, workspace_id: str) -> tuple[Problem, ...]:
    """A target in another workspace than the app's takes its model from the registry: there must be one."""
    return tuple(
        Problem(
            path=f"cd_targets.{name}.workspace",
            reason=f"the endpoint is in {other!r}, not the app's workspace {workspace_id!r}, and the policy has no "
            "'registry' to take the model from there: set 'registry' or deploy in the app's workspace",
        )
        for name, other in foreign_without_registry(policy, workspace_id).items()
    )


def summary(problems: tuple[Problem, ...]) -> str:
    """One line naming every problem."""
    return "; ".join(f"{p.path}: {p.reason}" for p in problems)
