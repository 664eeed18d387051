"""Pure decisions about promotion: deployments reported by CD, and human approvals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core import events as ev
from shared.core.actions import Action
from shared.core.approvals import ask, on_approval
from shared.core.lifecycle import ModelVersionRecord, Stage, Transition
from shared.core.plan import Context, Plan, notices_for, page_oncall, stage_tag
from shared.core.policy import Policy

__all__ = ["on_approval", "on_deployed", "on_reported"]


def on_deployed(event: Any, ctx: Context, policy: Policy) -> Plan:
    """A (v1) ModelDeployed event: each listed version as a deployment report for the service's environment."""
    e: ev.ModelDeployed = event
    env = policy.environment_of(e.service, e.tags)
    if env is None:
        return Plan(ignored=f"service {e.service} maps to no environment (see environments in the policy)")
    plans = [_deployment(e, ctx, policy, model, version, env, True, "") for model, version in e.models]
    return Plan(
        actions=tuple(a for p in plans for a in p.actions),
        transitions=tuple(t for p in plans for t in p.transitions),
        amends=tuple(a for p in plans for a in p.amends),
        notes=tuple(p.ignored for p in plans if p.ignored),
        violation="; ".join(p.violation for p in plans if p.violation) or None,
    )


def on_reported(event: Any, ctx: Context, policy: Policy) -> Plan:
    """CD reports a deployment (POST /api/deployments)."""
    e: ev.DeploymentReported = event
    return _deployment(e, ctx, policy, e.model, e.version, e.environment, e.succeeded, e.run_url)


def _deployment(
    e: ev.Event, ctx: Context, policy: Policy, model: str, version: str, env: str, succeeded: bool, run_url: str
) -> Plan:
    key = f"{model}:{version}"
    record = ctx.records.get(key)
    links = {"CD run": run_url} if run_url else {}
    facts = {"Model": key, "Environment": env}
    if not succeeded:
        title = f"Deployment of {key} to {env} failed"
        return Plan(
            actions=page_oncall(ctx, policy, "deploy_failed", title, facts, links, f"deploy_failed:{key}:{env}")
        )
    needed, target = (Stage.CANDIDATE, Stage.STAGING) if env == "staging" else (Stage.APPROVED, Stage.PRODUCTION)
    if record is not None and record.stage is target:
        stale = _superseded(ctx, model, version, key) if target is Stage.PRODUCTION else ()
        if stale:  # a promotion whose records were only partly written: finish it
            return Plan(transitions=stale, notes=(f"{key} is already in production; superseding the rest",))
        return Plan(ignored=f"{key} is already in {target}")
    if record is None or record.stage is not needed:
        return _out_of_band(ctx, policy, key, env, record, needed, facts, links)
    return _promote(ctx, policy, record, target, facts, links)


def _out_of_band(
    ctx: Context,
    policy: Policy,
    key: str,
    env: str,
    record: ModelVersionRecord | None,
    needed: Stage,
    facts: Mapping[str, str],
    links: Mapping[str, str],
) -> Plan:
    """A deployment the loop did not lead to: page on-call, change no stage."""
    stage = record.stage if record else "unknown to this app"
    violation = f"{key} was deployed to {env} while {stage}: {env} is only reachable from {needed}"
    title = f"Out-of-band deployment of {key} to {env}"
    facts = {**facts, "Stage": str(stage), "Problem": violation}
    page = page_oncall(ctx, policy, "out_of_band", title, facts, links, f"out_of_band:{key}:{env}")
    return Plan(actions=page, violation=violation)


def _promote(
    ctx: Context,
    policy: Policy,
    record: ModelVersionRecord,
    target: Stage,
    facts: Mapping[str, str],
    links: Mapping[str, str],
) -> Plan:
    """Staging reached: ask for approval. Production reached: supersede the old champion, tell the owners."""
    model, version, key = record.model, record.version, record.key
    rule = policy.rule_for(model, record.tags)
    env = "staging" if target is Stage.STAGING else "production"
    step = Transition(model=model, version=version, to=target, reason=f"CD reported {env} deployed")
    actions: tuple[Action, ...] = (stage_tag(record, model, version, target),)
    steps: tuple[Transition, ...] = (step,)
    if target is Stage.STAGING:
        request = ask(ctx, rule, record, "")  # keyed by the history before the step, as it always was
        return Plan(actions=actions + request.actions, transitions=steps, amends=request.amends)
    steps += _superseded(ctx, model, version, key)
    promoted = {**facts, "Approved by": record.approved_by or "-"}
    actions += notices_for(key, rule.notify.promoted, "promoted", f"{key} is in production", promoted, links)
    return Plan(actions=actions, transitions=steps)


def _superseded(ctx: Context, model: str, version: str, key: str) -> tuple[Transition, ...]:
    """The other production versions of a model, superseded by `key`."""
    return tuple(
        Transition(model=model, version=r.version, to=Stage.SUPERSEDED, reason=f"superseded by {key}")
        for r in ctx.records.values()
        if r.model == model and r.version != version and r.stage is Stage.PRODUCTION
    )
