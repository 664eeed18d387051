"""The effects a decision asks for: frozen values, each with a deterministic idempotency key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Purpose = Literal["offline_test", "retrain"]


@dataclass(frozen=True, kw_only=True)
class Action:
    """Base: `key` makes a second execution of the same action a no-op."""

    key: str

    @property
    def kind(self) -> str:
        """The action kind as shown by `replay --json`."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """A JSON-ready view: the kind first, then the fields."""
        return {"kind": self.kind, **vars(self)}


@dataclass(frozen=True, kw_only=True)
class SubmitJob(Action):
    """Submit an Azure ML job from a YAML in pipelines/ under a deterministic name."""

    purpose: Purpose
    job_file: str
    job_name: str
    model: str
    version: str | None = None
    model_type: str | None = None  # None: the workspace reads the registered model's type
    champion_version: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "submit_job"


@dataclass(frozen=True, kw_only=True)
class TriggerCD(Action):
    """Ask the CD system named `target` to deploy model:version to an environment."""

    environment: Literal["staging", "production"]
    target: str
    model: str
    version: str
    approved_by: str | None = None

    @property
    def kind(self) -> str:
        return "trigger_cd"


@dataclass(frozen=True, kw_only=True)
class Notify(Action):
    """Send a notice to a channel; `group` (with a window start) makes a storm one message."""

    channel: str
    template: str
    title: str
    facts: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)
    group: str | None = None
    window_start: str | None = None
    silence: str | None = None  # the silence holding it back: recorded as held, not sent
    model: str | None = None  # the model it is about, if one: a store keeps it with the model's decision

    @property
    def kind(self) -> str:
        return "notify"


@dataclass(frozen=True, kw_only=True)
class TagModel(Action):
    """Set tags on a registered model version (e.g. its stage)."""

    model: str
    version: str
    tags: Mapping[str, str]

    @property
    def kind(self) -> str:
        return "tag_model"


@dataclass(frozen=True, kw_only=True)
class RequestApproval(Action):
    """Ask the approvers to approve a staging version for production, with a link to the approval page."""

    model: str
    version: str
    approvers: tuple[str, ...]
    channels: tuple[str, ...]
    url: str
    details: Mapping[str, str] = field(default_factory=dict)  # shown with the request: approvals needed, expiry

    @property
    def kind(self) -> str:
        return "request_approval"


@dataclass(frozen=True, kw_only=True)
class SaveSilence(Action):
    """Keep a silence as set, or as ended (an upsert by its id): `silence` holds its fields."""

    silence: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return "save_silence"


@dataclass(frozen=True, kw_only=True)
class ResetBudget(Action):
    """Start a model's retrain budget afresh at `at`: retrains submitted before it no longer count."""

    model: str
    at: str

    @property
    def kind(self) -> str:
        return "reset_budget"


@dataclass(frozen=True, kw_only=True)
class ShiftTraffic(Action):
    """One rollout step on an Azure ML online endpoint: set its live and mirrored traffic, delete old deployments."""

    target: str
    model: str
    version: str
    step: str
    deployment: str
    traffic: Mapping[str, int] = field(default_factory=dict)
    mirror: Mapping[str, int] = field(default_factory=dict)
    delete: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return "shift_traffic"


@dataclass(frozen=True, kw_only=True)
class CopyToRegistry(Action):
    """Copy (share) a model version from the dev workspace to an Azure ML registry, before its staging CD."""

    model: str
    version: str
    registry: str

    @property
    def kind(self) -> str:
        return "copy_to_registry"


_KINDS: dict[str, type[Action]] = {
    "submit_job": SubmitJob,
    "trigger_cd": TriggerCD,
    "notify": Notify,
    "tag_model": TagModel,
    "request_approval": RequestApproval,
    "save_silence": SaveSilence,
    "reset_budget": ResetBudget,
    "shift_traffic": ShiftTraffic,
    "copy_to_registry": CopyToRegistry,
}


def action_from(view: Mapping[str, Any]) -> Action:
    """The action a `describe()` view (as stored with its intent) stands for."""
    cls = _KINDS[str(view["kind"])]
    names = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in view.items() if k in names}
    return cls(**values)


def window_of(action: Action) -> str | None:
    """The alert group whose window this action opens or joins (per channel), if it is a grouped notice."""
    if isinstance(action, Notify) and action.group:
        return f"{action.channel}:{action.group}"
    return None
