"""Load and validate policy.yaml: what reacts to what. Errors name the file, the path and what was expected.

The whole policy and its cross-references here; each section's own shape in policy_sections.py.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from shared.core.errors import PolicyError
from shared.core.policy_reconcile import Reconcile
from shared.core.policy_sections import (
    CdTarget,
    CdTargets,
    Channel,
    Drift,
    DriftRule,
    Environments,
    Gate,
    ModelRule,
    Notices,
    OnCall,
    Strict,
    Threshold,
)
from shared.core.policy_workspaces import REGISTRY_NAME, WorkspaceEnv, find_workspace

__all__ = [
    "CdTarget",
    "CdTargets",
    "Channel",
    "Drift",
    "DriftRule",
    "Environments",
    "Gate",
    "ModelRule",
    "Notices",
    "OnCall",
    "Policy",
    "Threshold",
    "load_policy",
    "parse_policy",
]


class Policy(Strict):
    """The whole policy file."""

    models: tuple[ModelRule, ...]
    cd_targets: dict[str, CdTarget]
    channels: dict[str, Channel]
    drift: Drift = Drift()
    oncall: OnCall = OnCall()
    environments: Environments = Environments()
    reconcile: Reconcile = Reconcile()
    workspaces: tuple[WorkspaceEnv, ...] = ()  # dev / test / prd (core/environments.py); empty: the app's one
    registry: str | None = Field(default=None, pattern=REGISTRY_NAME)  # Azure ML registry a dev version is copied to

    @model_validator(mode="after")
    def _references(self) -> Policy:
        if not any(rule.match == "*" and not rule.tags for rule in self.models):
            raise ValueError("models: a default rule with match: '*' (and no tags) is required")
        for i, rule in enumerate(self.models):
            for env, target in (("staging", rule.cd.staging), ("production", rule.cd.production)):
                if target not in self.cd_targets:
                    raise ValueError(f"models.{i}.cd.{env}: unknown CD target {target!r}")
            for where, names in (
                ("verdict", rule.notify.verdict),
                ("approval", rule.notify.approval),
                ("promoted", rule.notify.promoted),
            ):
                self._known_channels(f"models.{i}.notify.{where}", names)
        self._known_channels("drift.channels", self.drift.channels)
        for i, drift_rule in enumerate(self.drift.rules):
            self._known_channels(f"drift.rules.{i}.channels", drift_rule.channels or ())
        self._known_channels("oncall.channels", self.oncall.channels)
        self._known_channels("reconcile.channels", self.reconcile.channels)
        self._distinct_workspaces()
        self._target_workspaces()
        return self

    def _distinct_workspaces(self) -> None:
        ids = [w.id.lower() for w in self.workspaces]
        if len(set(ids)) != len(ids):
            raise ValueError("workspaces: a workspace is listed twice")
        if self.registry and not any(w.environment == "dev" for w in self.workspaces):
            raise ValueError("registry: needs a workspace with environment: dev (whose versions are copied)")

    def _target_workspaces(self) -> None:
        """Each target's `workspace` names one listed workspace; outside dev the model comes from the registry."""
        for name, target in self.cd_targets.items():
            if not target.workspace:
                continue
            found, why = find_workspace(self.workspaces, target.workspace)
            if found is None:
                raise ValueError(f"cd_targets.{name}.workspace: {why}")
            if found.environment != "dev" and not self.registry:
                raise ValueError(
                    f"cd_targets.{name}.workspace: deploying into the {found.environment} workspace needs "
                    "'registry': a version registered in dev reaches another workspace through the registry"
                )

    def _known_channels(self, where: str, names: tuple[str, ...]) -> None:
        unknown = [n for n in names if n not in self.channels]
        if unknown:
            raise ValueError(f"{where}: unknown channel(s) {', '.join(unknown)}")

    def rule_for(self, model: str, tags: Mapping[str, str]) -> ModelRule:
        """The first rule that applies (the default rule always does)."""
        return next(r for r in self.models if r.applies_to(model, tags))

    def drift_rule(self, monitor: str) -> DriftRule | None:
        """The rule that maps a drift monitor to the model it retrains, if any."""
        return next((r for r in self.drift.rules if r.applies_to(monitor)), None)

    def monitor_channels(self, rule: DriftRule) -> tuple[str, ...]:
        """Where a monitor's own failures go: its rule's channels, else the drift channels."""
        return self.drift.channels if rule.channels is None else rule.channels

    def pages_for(self, experiment: str) -> bool:
        """Whether a failed run in this experiment pages on-call."""
        return any(fnmatch.fnmatchcase(experiment, pattern) for pattern in self.oncall.experiments)

    def environment_of(self, service: str, tags: Mapping[str, str]) -> str | None:
        """The environment a deployed service belongs to: its `environment` tag, else the name globs."""
        tagged = {k.lower(): v for k, v in tags.items()}.get("environment", "").lower()
        if tagged in ("staging", "production"):
            return tagged
        for env, patterns in (("staging", self.environments.staging), ("production", self.environments.production)):
            if any(fnmatch.fnmatchcase(service.lower(), p.lower()) for p in patterns):
                return env
        return None

    def platform_channels(self) -> tuple[str, ...]:
        """Who hears what reconcile finds (lost jobs, a silent workspace): its channels, else on-call's."""
        return self.reconcile.channels or self.oncall.channels


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; any problem is a PolicyError naming file, path and expectation."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    return parse_policy(document, str(path))


def parse_policy(document: object, origin: str = "policy") -> Policy:
    """Validate an already-loaded policy document."""
    if not isinstance(document, dict):
        raise PolicyError(f"{origin}: expected a mapping at the top level (got {type(document).__name__})")
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(top level)"
            problems.append(f"{origin}: at {where}: {error['msg']}")
        raise PolicyError("\n".join(problems)) from exc
