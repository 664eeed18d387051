"""Load and validate policy.yaml: what reacts to what. Errors name the file, the path and what was expected."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.core.errors import PolicyError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(_Strict):
    """A bound on one metric logged by the offline test job."""

    metric: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("give 'min' or 'max' (or both)")
        return self


class Gate(_Strict):
    """When an offline test passes: thresholds, and the challenger beating the champion by a margin."""

    thresholds: tuple[Threshold, ...] = ()
    primary_metric: str | None = None
    higher_is_better: bool = True
    champion_margin: float = 0.0
    champion_prefix: str = "champion_"


class CdTargets(_Strict):
    """Which CD target (by name, see `cd_targets`) deploys to each environment."""

    staging: str
    production: str


class Notices(_Strict):
    """Which channels get which notice about a model."""

    verdict: tuple[str, ...] = ()
    approval: tuple[str, ...] = ()
    promoted: tuple[str, ...] = ()


class ModelRule(_Strict):
    """How the models whose name matches `match` (and carry `tags`) go round the loop."""

    match: str
    tags: dict[str, str] = Field(default_factory=dict)
    test_job: str
    model_type: Literal["custom_model", "mlflow_model", "triton_model"] = "custom_model"
    gate: Gate = Gate()
    cd: CdTargets
    approvers: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    notify: Notices = Notices()

    def applies_to(self, model: str, tags: Mapping[str, str]) -> bool:
        """Name matches the glob and every required tag has the required value."""
        return fnmatch.fnmatchcase(model, self.match) and all(tags.get(k) == v for k, v in self.tags.items())


class CdTarget(_Strict):
    """A CD system that deploys a model version: recorded locally, GitHub Actions or Azure DevOps."""

    kind: Literal["record", "github", "azure_devops"]
    repo: str | None = None
    workflow: str | None = None
    ref: str = "main"
    organization: str | None = None
    project: str | None = None
    pipeline_id: int | None = None
    production_stage: str | None = None


class Channel(_Strict):
    """Where a notice goes. Secrets (webhook URLs, passwords) are named app settings, never values here."""

    kind: Literal["outbox", "teams", "email", "smtp"]
    webhook_setting: str | None = None
    to: tuple[str, ...] = ()


class DriftRule(_Strict):
    """A monitor (name, or prefix of the v2 signal name) whose drift retrains a model."""

    monitor: str
    model: str
    retrain_job: str

    def applies_to(self, monitor: str) -> bool:
        """v1: the monitor name; v2: the signal name, `<monitor>_<signal>`."""
        pattern = self.monitor.lower()
        name = monitor.lower()
        return fnmatch.fnmatchcase(name, pattern) or name.startswith(pattern + "_")


class Drift(_Strict):
    """Retraining on drift: which monitor retrains which model, how often at most, who hears of it."""

    cooldown_minutes: int = Field(default=360, ge=0)
    channels: tuple[str, ...] = ()
    rules: tuple[DriftRule, ...] = ()


class OnCall(_Strict):
    """Which failed runs page on-call, where, and how they are grouped."""

    experiments: tuple[str, ...] = ("*",)
    channels: tuple[str, ...] = ()
    group_window_minutes: int = Field(default=15, ge=1)


class Environments(_Strict):
    """How a ModelDeployed event's service name maps to an environment (globs)."""

    staging: tuple[str, ...] = ("*staging*", "*stg*")
    production: tuple[str, ...] = ("*prod*",)


class Policy(_Strict):
    """The whole policy file."""

    models: tuple[ModelRule, ...]
    cd_targets: dict[str, CdTarget]
    channels: dict[str, Channel]
    drift: Drift = Drift()
    oncall: OnCall = OnCall()
    environments: Environments = Environments()

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
        self._known_channels("oncall.channels", self.oncall.channels)
        return self

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
