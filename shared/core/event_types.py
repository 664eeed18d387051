"""The typed events: one frozen dataclass per kind of event, keeping the raw payload; and the type names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The Azure ML system event types (the names azure.eventgrid.SystemEventNames holds; a unit test compares them).
MODEL_REGISTERED = "Microsoft.MachineLearningServices.ModelRegistered"
MODEL_DEPLOYED = "Microsoft.MachineLearningServices.ModelDeployed"
RUN_COMPLETED = "Microsoft.MachineLearningServices.RunCompleted"
RUN_STATUS_CHANGED = "Microsoft.MachineLearningServices.RunStatusChanged"
DATASET_DRIFT = "Microsoft.MachineLearningServices.DatasetDriftDetected"
DEPLOYMENT_REPORTED = "MLOpsReactor.DeploymentReported"
APPROVAL_DECIDED = "MLOpsReactor.ApprovalDecided"
JOB_RECONCILED = "MLOpsReactor.JobReconciled"  # reconcile: a job finished and its event never came
RECONCILE_FINDING = "MLOpsReactor.ReconcileFinding"  # reconcile: a lost job, an unreported CD, a silent workspace
APPROVAL_EXPIRED = "MLOpsReactor.ApprovalExpired"
APPROVAL_REQUESTED = "MLOpsReactor.ApprovalRequested"
SILENCE_SET = "MLOpsReactor.SilenceSet"
SILENCE_EXPIRED = "MLOpsReactor.SilenceExpired"
RETRAIN_BUDGET_RESET = "MLOpsReactor.RetrainBudgetReset"
ROLLOUT_OBSERVED = "MLOpsReactor.RolloutObserved"
INTERNAL_TYPES = (
    DEPLOYMENT_REPORTED,
    APPROVAL_DECIDED,
    APPROVAL_EXPIRED,
    APPROVAL_REQUESTED,
    JOB_RECONCILED,
    RECONCILE_FINDING,
    SILENCE_SET,
    SILENCE_EXPIRED,
    RETRAIN_BUDGET_RESET,
    ROLLOUT_OBSERVED,
)
INTERNAL_LOWER = frozenset(t.lower() for t in INTERNAL_TYPES)

BREACH_TAG = "azureml_modelmonitor_threshold_breached"
TERMINAL_STATUSES = ("Completed", "Failed", "Canceled", "NotResponding")
FAILED_STATUSES = ("Failed", "Canceled", "NotResponding")
RECONCILED_STATUSES = ("Completed", "Failed", "Canceled")  # final: reconcile feeds them when the event never came


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event carries: the envelope, and the raw payload as delivered."""

    id: str
    type: str
    source: str
    subject: str = ""
    time: datetime | None = None  # aware; None when the event has no time (CloudEvents makes it optional)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def occurrence(self) -> str | None:
        """A key shared by different events that report the same thing (None: the id is enough)."""
        return None


@dataclass(frozen=True, kw_only=True)
class Ignored(Event):
    """A well-formed event this app has nothing to do with; `reason` says why."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class ModelRegistered(Event):
    """A model version was registered in the workspace."""

    model: str
    version: str
    tags: Mapping[str, str] = field(default_factory=dict)
    model_type: str | None = None  # when the event data says (modelType); else the workspace reads it
    registered_by: str | None = None  # who registered or trained it, from the model's tags or properties


@dataclass(frozen=True, kw_only=True)
class ModelDeployed(Event):
    """Model versions were deployed to a (v1) inference service."""

    service: str
    models: tuple[tuple[str, str], ...]
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    """A run reached a terminal status (RunCompleted, or RunStatusChanged to a terminal status)."""

    run_id: str
    experiment: str
    status: str
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def occurrence(self) -> str | None:
        """Completion is reported twice (RunCompleted and RunStatusChanged, and reconcile's JobReconciled when
        neither came); other statuses once (a second report of our job's failure finds the job already closed)."""
        return f"run:{self.run_id}:completed" if self.status == "Completed" else None


@dataclass(frozen=True, kw_only=True)
class DriftDetected(Event):
    """A monitor found drift: a v2 monitor run tagged with the breach, or the legacy (v1) DatasetDriftDetected."""

    monitor: str
    run_id: str
    detail: str = ""
    legacy: bool = False  # the v1 dataset monitor's own event type

    @property
    def occurrence(self) -> str | None:
        """A v2 breach is reported by RunStatusChanged and RunCompleted of one run: one occurrence."""
        return None if self.legacy else f"run:{self.run_id}:breach"


@dataclass(frozen=True, kw_only=True)
class DeploymentReported(Event):
    """CD (or a ModelDeployed event) says a model version reached an environment."""

    model: str
    version: str
    environment: str
    succeeded: bool = True
    run_url: str = ""


@dataclass(frozen=True, kw_only=True)
class ApprovalDecided(Event):
    """A human approved or rejected promotion of a staging version to production."""

    model: str
    version: str
    approved: bool
    approver: str
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class ApprovalExpired(Event):
    """A timer found an approval request (`request`, its key) older than the policy's expiry."""

    model: str
    version: str
    request: str


@dataclass(frozen=True, kw_only=True)
class ApprovalRequested(Event):
    """A person asks for a fresh approval request for a staging version (after expiry or new evidence)."""

    model: str
    version: str
    by: str


# Azure Resource Manager's resource-group system topic: a write to an online endpoint or one of its deployments.
RESOURCE_WRITE = "Microsoft.Resources.ResourceWriteSuccess"


@dataclass(frozen=True, kw_only=True)
class EndpointWritten(Event):
    """An online endpoint (or one of its deployments) was written: what takes production traffic may have changed."""

    workspace: str  # the ARM id of the workspace the written resource belongs to (from data.resourceUri)
    endpoint: str
    deployment: str = ""  # "" when the endpoint itself was written
    resource_uri: str = ""
    operation: str = ""
    writer: str = ""  # who wrote it, from the caller's claims
    correlation_id: str = ""


@dataclass(frozen=True, kw_only=True)
class ReconcileFinding(Event):
    """What reconcile found that no event told: `kind` is job_lost, cd_check or workspace_silent."""

    kind: str
    job: str = ""  # the job (or CD watch) it is about
    model: str = ""
    version: str = ""
    environment: str = ""
    run_url: str = ""  # the CD run, from the CD request's result
    request: str = ""  # cd_check: where the CD request itself stands (done, failed, unconfirmed...)
    last_seen: str = ""  # workspace_silent: when the newest event was received

    @property
    def occurrence(self) -> str | None:
        """What was found, whichever run found it: a lost job, a CD check, a silence since an event."""
        return f"finding:{self.kind}:{self.job or self.last_seen}"


@dataclass(frozen=True, kw_only=True)
class SilenceSet(Event):
    """A person holds back notices of a scope (experiment, model, monitor, channel) matching a glob, until a time."""

    silence: str
    scope: str
    pattern: str
    until: datetime
    by: str
    why: str
    notify: str = ""


@dataclass(frozen=True, kw_only=True)
class SilenceExpired(Event):
    """A silence ends: its time passed (`by` is the reactor), or a person ended it early."""

    silence: str
    by: str
    why: str = ""


@dataclass(frozen=True, kw_only=True)
class RetrainBudgetReset(Event):
    """A person resets a model's retrain budget: retrains before now no longer count."""

    model: str
    by: str
    why: str


@dataclass(frozen=True, kw_only=True)
class RolloutObserved(Event):
    """The rollout timer saw a deployment due for a step (shift traffic, roll back, page): see core/rollout.py."""

    model: str
    version: str
    environment: str
    step: str
    target: str
    deployment: str
    traffic: Mapping[str, int] = field(default_factory=dict)
    mirror: Mapping[str, int] = field(default_factory=dict)
    delete: tuple[str, ...] = ()
    reason: str = ""
    health: Mapping[str, Any] = field(default_factory=dict)
