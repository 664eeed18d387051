"""What a policy may use in each mode: local-only kinds write under the app root, read-only in Azure."""

from __future__ import annotations

from dataclasses import dataclass

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


def problems_for_mode(policy: Policy, mode: str) -> tuple[Problem, ...]:
    """Every entry of the policy the mode cannot serve (none in local mode)."""
    if mode != "azure":
        return ()
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
    return tuple(found)


def summary(problems: tuple[Problem, ...]) -> str:
    """One line naming every problem."""
    return "; ".join(f"{p.path}: {p.reason}" for p in problems)
