"""The sections of policy.yaml, each validated on its own: model rules, CD targets, channels, drift, on-call."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ModelType = Literal["custom_model", "mlflow_model", "triton_model"]


class Strict(BaseModel):
    """A section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Threshold(Strict):
    """A bound on one metric logged by the offline test job."""

    metric: str
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("give 'min' or 'max' (or both)")
        return self


class Gate(Strict):
    """When an offline test passes: thresholds, and the challenger beating the champion by a margin."""

    thresholds: tuple[Threshold, ...] = ()
    primary_metric: str | None = None
    higher_is_better: bool = True
    champion_margin: float = 0.0
    champion_prefix: str = "champion_"


class CdTargets(Strict):
    """Which CD target (by name, see `cd_targets`) deploys to each environment."""

    staging: str
    production: str


class Notices(Strict):
    """Which channels get which notice about a model."""

    verdict: tuple[str, ...] = ()
    approval: tuple[str, ...] = ()
    promoted: tuple[str, ...] = ()


class Approvals(Strict):
    """Approval hygiene for a rule: how many approvals, from whom, four eyes, when a request expires."""

    required: int = Field(default=1, ge=1)  # distinct people who must approve before production
    group: tuple[str, ...] = ()  # who counts toward `required`; empty: anyone the rule's approvers allow
    four_eyes: bool = True  # the approver must differ from whoever registered or trained the version, when known
    expiry_hours: float = Field(default=168, ge=0)  # a request older than this expires; 0: never
    invalidate_on_new_evidence: bool = True  # a new champion or a re-run gate since the request: ask afresh

    @model_validator(mode="after")
    def _reachable(self) -> Approvals:
        if self.group and self.required > len({g.lower() for g in self.group}):
            raise ValueError(f"required ({self.required}) is more than the group's {len(self.group)} people")
        return self


class ModelRule(Strict):
    """How the models whose name matches `match` (and carry `tags`) go round the loop."""

    match: str
    tags: dict[str, str] = Field(default_factory=dict)
    test_job: str
    model_type: ModelType | None = None  # an override; unset: the registered model's own type
    gate: Gate = Gate()
    cd: CdTargets
    approvers: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    notify: Notices = Notices()
    approval: Approvals = Approvals()

    @model_validator(mode="after")
    def _group_of_approvers(self) -> ModelRule:
        allowed = {a.lower() for a in self.approvers}
        outside = [g for g in self.approval.group if allowed and g.lower() not in allowed]
        if outside:
            raise ValueError(f"approval.group: {', '.join(outside)} not among the approvers")
        return self

    def applies_to(self, model: str, tags: Mapping[str, str]) -> bool:
        """Name matches the glob and every required tag has the required value."""
        return fnmatch.fnmatchcase(model, self.match) and all(tags.get(k) == v for k, v in self.tags.items())


class Rollout(Strict):
    """How an `azureml_endpoint` target moves production traffic: mirror, canary, 100 %; when it rolls back."""

    mirror_percent: int = Field(default=10, ge=0, le=50)  # Azure ML mirrors at most 50 %; 0 skips mirroring
    mirror_bake_minutes: int = Field(default=10, ge=0)
    canary_percent: int = Field(default=10, ge=0, le=99)  # 0 skips the canary
    canary_bake_minutes: int = Field(default=30, ge=0)
    keep_old: bool = False  # after 100 %: keep the old deployment (scaled to no traffic) or delete it
    max_error_rate: float = Field(default=0.01, ge=0, le=1)  # 5xx share of the new deployment's requests
    max_latency_ms: float | None = Field(default=None, gt=0)  # unset: latency never rolls back
    latency_percentile: Literal["P50", "P90", "P95", "P99"] = "P95"
    min_requests: int = Field(default=0, ge=0)  # fewer requests in a bake: its error rate is not judged


class CdTarget(Strict):
    """A CD system that deploys a model version: recorded locally, GitHub Actions, Azure DevOps or an Azure ML
    managed online endpoint (`azureml_endpoint`: the reactor deploys and rolls out itself)."""

    kind: Literal["record", "github", "azure_devops", "azureml_endpoint"]
    repo: str | None = None
    workflow: str | None = None
    ref: str = "main"
    organization: str | None = None
    project: str | None = None
    pipeline_id: int | None = None
    production_stage: str | None = None
    endpoint: str | None = None  # azureml_endpoint: the managed online endpoint's name
    instance_type: str = "Standard_DS3_v2"
    instance_count: int = Field(default=1, ge=1)
    environment: str | None = None  # custom models: azureml:<env>:<version> (MLflow models need none)
    code: str | None = None  # custom models: the scoring code folder, relative to the app root
    scoring_script: str = "score.py"
    provision_timeout_minutes: int = Field(default=30, ge=1)
    rollout: Rollout = Rollout()
    # azureml_endpoint: the workspace whose endpoint it is (an environment of `workspaces`, or its ARM id);
    # unset: the app's own workspace
    workspace: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _endpoint_named(self) -> CdTarget:
        if self.kind == "azureml_endpoint" and not self.endpoint:
            raise ValueError("an azureml_endpoint target needs 'endpoint' (the online endpoint's name)")
        if self.workspace and self.kind != "azureml_endpoint":
            raise ValueError(f"'workspace' is for an azureml_endpoint target only (this one is {self.kind})")
        return self


class Channel(Strict):
    """Where a notice goes. Secrets (webhook URLs, passwords) are named app settings, never values here."""

    kind: Literal["outbox", "teams", "email", "smtp"]
    webhook_setting: str | None = None
    to: tuple[str, ...] = ()


class RetrainBudget(Strict):
    """At most `max` retrains of a model in any `window_hours`; above it, drift pages the owners instead."""

    max: int = Field(ge=1, le=20)  # the loader reads a model's 20 newest retrains
    window_hours: float = Field(gt=0, le=24 * 90)


class DriftRule(Strict):
    """A monitor (name, or prefix of the v2 signal name) whose drift retrains a model; who owns the monitor."""

    monitor: str
    model: str
    retrain_job: str
    owners: tuple[str, ...] = ()  # named in the monitor's own failure notices
    channels: tuple[str, ...] | None = None  # where its own failures go; unset: drift.channels
    retrain_budget: RetrainBudget | None = None  # unset: no budget (the cooldown alone limits retraining)

    def applies_to(self, monitor: str) -> bool:
        """v1: the monitor name; v2: the signal name, `<monitor>_<signal>`."""
        pattern = self.monitor.lower()
        name = monitor.lower()
        return fnmatch.fnmatchcase(name, pattern) or name.startswith(pattern + "_")


class Drift(Strict):
    """Retraining on drift: which monitor retrains which model, how often at most, who hears of it."""

    cooldown_minutes: int = Field(default=360, ge=0)
    channels: tuple[str, ...] = ()
    rules: tuple[DriftRule, ...] = ()


class OnCall(Strict):
    """Which failed runs page on-call, where, and how they are grouped."""

    experiments: tuple[str, ...] = ("*",)
    channels: tuple[str, ...] = ()
    group_window_minutes: int = Field(default=15, ge=1)


class Environments(Strict):
    """How a ModelDeployed event's service name maps to an environment (globs)."""

    staging: tuple[str, ...] = ("*staging*", "*stg*")
    production: tuple[str, ...] = ("*prod*",)
