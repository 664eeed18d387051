"""What decisions work with: the context they read, the plan they return, and the pieces plans are made of."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache

from shared.core import links
from shared.core.actions import Action, Notify, TagModel
from shared.core.endpoints import EndpointTraffic
from shared.core.lifecycle import Amend, ModelVersionRecord, Stage, Transition
from shared.core.policy import Policy
from shared.core.ports import JobRef
from shared.core.silences import Silence

STAGE_TAG = "mlops_reactor_stage"


@dataclass(frozen=True, kw_only=True)
class Context:
    """Everything a decision may look at, loaded by the reactor before deciding."""

    now: datetime
    workspace_id: str
    public_url: str
    records: Mapping[str, ModelVersionRecord] = field(default_factory=dict)
    job: JobRef | None = None
    metrics: Mapping[str, float] | None = field(default_factory=dict)  # None: not read (a dry run)
    retrain_jobs: tuple[JobRef, ...] = ()
    forced: str | None = None  # the reason, when an operator re-runs a completed event
    registrant: str | None = None  # who registered the version decided on, as the workspace says (four eyes)
    endpoint: EndpointTraffic | None = None  # an online endpoint as read after a write to it (None: gone)
    silences: tuple[Silence, ...] = ()  # not ended (some may be past their time): they hold matching notices
    silence: Silence | None = None  # the silence a silence event names, as stored
    held: Mapping[str, int] = field(default_factory=dict)  # what that silence held back, by kind
    budget_reset: str | None = None  # when the drifted model's retrain budget was last reset
    env: str | None = None  # dev / test / prd: the environment the event is attributed to (core/environments.py)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What to do: actions in order, lifecycle steps, job status updates; or why there is nothing to do."""

    actions: tuple[Action, ...] = ()
    transitions: tuple[Transition, ...] = ()
    job_status: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    violation: str | None = None
    ignored: str | None = None
    amends: tuple[Amend, ...] = ()  # record changes that are not stage steps (approval requests, votes)
    env: str | None = None  # the environment of the event (dev / test / prd), on the ledger and each history step


def job_name(purpose: str, model: str, seed: str) -> str:
    """A deterministic Azure ML job name: readable prefix, hash of what makes it unique."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:40]
    digest = hashlib.sha256(seed.encode()).hexdigest()[:10]
    return f"{'test' if purpose == 'offline_test' else 'retrain'}-{slug}-{digest}"


def champion_of(ctx: Context, model: str) -> ModelVersionRecord | None:
    """The version of a model now in production, if any."""
    return next((r for r in ctx.records.values() if r.model == model and r.stage is Stage.PRODUCTION), None)


def studio_run(ctx: Context, run_id: str) -> str:
    """A run's page in Azure ML studio."""
    return links.studio_run(run_id, ctx.workspace_id)


def approval_url(ctx: Context, model: str, version: str) -> str:
    """The approval page of a model version (its key is added when the request is sent)."""
    return f"{ctx.public_url}/api/approvals/{model}/{version}"


def notices_for(
    about: str,
    channels: tuple[str, ...],
    template: str,
    title: str,
    facts: Mapping[str, str],
    links: Mapping[str, str] | None = None,
    group: str | None = None,
    window_start: str | None = None,
    model: str | None = None,
) -> tuple[Notify, ...]:
    """One notice per channel, keyed by what it is about (never by the event that carried it).

    A grouped notice is keyed by its group's window: the first event of a window sends it, the rest join it.
    `model`: the model every event that could send this notice decides on (the key names it too).
    """
    return tuple(
        Notify(
            key=f"alert:{c}:{group}:{window_start}" if group else f"notify:{template}:{about}:{c}",
            channel=c,
            template=template,
            title=title,
            facts=dict(facts),
            links=dict(links or {}),
            group=group,
            window_start=window_start,
            model=model,
        )
        for c in channels
    )


def page_oncall(
    ctx: Context,
    policy: Policy,
    template: str,
    title: str,
    facts: Mapping[str, str],
    links: Mapping[str, str],
    group: str,
) -> tuple[Notify, ...]:
    """On-call notices, one per group window (the executor drops the rest of a storm)."""
    width = policy.oncall.group_window_minutes * 60
    start = _window_start(int(ctx.now.timestamp()) // width * width, ctx.now.tzinfo)
    return notices_for(group, policy.oncall.channels, template, title, facts, links, group, start)


@lru_cache(maxsize=64)
def _window_start(epoch: int, zone: tzinfo | None) -> str:
    return datetime.fromtimestamp(epoch, zone).isoformat()


def stage_tag(record: ModelVersionRecord | None, model: str, version: str, stage: Stage) -> TagModel:
    """Tag the model version with its new stage (keyed by the step: the record's history so far, and the stage)."""
    step = len(record.history) if record else 0
    return TagModel(
        key=f"tag:{model}:{version}:{step}:{stage}", model=model, version=version, tags={STAGE_TAG: str(stage)}
    )
