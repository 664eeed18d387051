"""Pure decisions: (event, context, policy) -> plan. No I/O; the clock comes in the context."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from shared import events as ev
from shared.actions import Action, Notify, RequestApproval, SubmitJob, TagModel, TriggerCD
from shared.errors import GateViolation, TransientError
from shared.gate import evaluate
from shared.lifecycle import ModelVersionRecord, Stage, Transition
from shared.policy import Policy
from shared.ports import JobRef

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


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What to do: actions in order, lifecycle steps, job status updates; or why there is nothing to do."""

    actions: tuple[Action, ...] = ()
    transitions: tuple[Transition, ...] = ()
    job_status: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    violation: str | None = None
    ignored: str | None = None


def decide(event: ev.Event, ctx: Context, policy: Policy) -> Plan:
    """The one entry point: dispatch on the event's type."""
    if isinstance(event, ev.Ignored):
        return Plan(ignored=event.reason)
    handler = _HANDLERS[type(event)]
    return handler(event, ctx, policy)


def job_name(purpose: str, model: str, seed: str) -> str:
    """A deterministic Azure ML job name: readable prefix, hash of what makes it unique."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:40]
    digest = hashlib.sha256(seed.encode()).hexdigest()[:10]
    return f"{'test' if purpose == 'offline_test' else 'retrain'}-{slug}-{digest}"


def _champion(ctx: Context, model: str) -> ModelVersionRecord | None:
    return next((r for r in ctx.records.values() if r.model == model and r.stage is Stage.PRODUCTION), None)


def _studio_run(ctx: Context, run_id: str) -> str:
    return f"https://ml.azure.com/runs/{quote(run_id, safe='')}?wsid={quote(ctx.workspace_id, safe='/')}"


def _approval_url(ctx: Context, model: str, version: str) -> str:
    return f"{ctx.public_url}/api/approvals/{model}/{version}"


def _notices(event: ev.Event, channels: tuple[str, ...], template: str, title: str, facts: Mapping[str, str],
             links: Mapping[str, str] | None = None, group: str | None = None,
             window_start: str | None = None) -> tuple[Notify, ...]:
    return tuple(
        Notify(key=f"{event.id}:notify:{template}:{c}", channel=c, template=template, title=title,
               facts=dict(facts), links=dict(links or {}), group=group, window_start=window_start)
        for c in channels
    )


def _page(event: ev.Event, ctx: Context, policy: Policy, template: str, title: str,
          facts: Mapping[str, str], links: Mapping[str, str], group: str) -> tuple[Notify, ...]:
    """On-call notices, one per group window (the executor drops the rest of a storm)."""
    minutes = policy.oncall.group_window_minutes
    epoch = int(ctx.now.timestamp()) // (minutes * 60) * (minutes * 60)
    start = datetime.fromtimestamp(epoch, ctx.now.tzinfo).isoformat()
    return _notices(event, policy.oncall.channels, template, title, facts, links, group, start)


def _tag(event: ev.Event, model: str, version: str, stage: Stage) -> TagModel:
    return TagModel(key=f"{event.id}:tag:{model}:{version}", model=model, version=version,
                    tags={STAGE_TAG: str(stage)})


def _on_registered(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.ModelRegistered = event
    known = ctx.records.get(f"{e.model}:{e.version}")
    retest = known is not None and known.stage is Stage.REJECTED and ctx.forced is not None
    if known is not None and known.stage is not Stage.REGISTERED and not retest:
        hint = "; a rejected version is tested again by a forced replay" if known.stage is Stage.REJECTED else ""
        return Plan(ignored=f"{e.model}:{e.version} is already known (stage {known.stage}){hint}")
    rule = policy.rule_for(e.model, e.tags)
    champion = _champion(ctx, e.model)
    name = job_name("offline_test", e.model, e.id + (f"#retest:{ctx.forced}" if retest else ""))
    job = SubmitJob(
        key=name, purpose="offline_test", job_file=rule.test_job, job_name=name, model=e.model,
        version=e.version, model_type=rule.model_type,
        champion_version=champion.version if champion else None,
        tags={"mlops_reactor_event": e.id, "mlops_reactor_model": f"{e.model}:{e.version}",
              "mlops_reactor_purpose": "offline_test"},
    )
    step = Transition(model=e.model, version=e.version, to=Stage.TESTING, reason=f"offline test {name} submitted",
                      job=name)
    return Plan(actions=(job, _tag(e, e.model, e.version, Stage.TESTING)), transitions=(step,))


def _on_run(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.RunFinished = event
    links = {"Run in Azure ML studio": _studio_run(ctx, e.run_id)}
    facts = {"Experiment": e.experiment, "Run": e.run_id, "Status": e.status}
    failed = e.status in ev.FAILED_STATUSES
    page = _page(e, ctx, policy, "run_failed", f"Run {e.status.lower()} in {e.experiment}", facts, links,
                 f"run_failed:{e.experiment}") if failed else ()
    job = ctx.job
    if job is None:
        if not failed:
            return Plan(ignored=f"run {e.run_id} was not submitted by this app")
        if not policy.pages_for(e.experiment):
            return Plan(ignored=f"experiment {e.experiment} does not page on-call")
        return Plan(actions=page)
    done = ((job.name, e.status),)
    if job.purpose == "retrain":
        if not failed:
            return Plan(job_status=done, notes=("retraining finished; its model registration goes round the loop",))
        notice = _notices(e, policy.drift.channels, "retrain_failed", f"Retraining of {job.model} {e.status.lower()}",
                          {**facts, "Model": job.model}, links)
        return Plan(actions=page + notice, job_status=done)
    key = f"{job.model}:{job.version}"
    record = ctx.records.get(key)
    if record is None:
        # The job is ours but its registration is not recorded yet (its handling is being retried): wait for it.
        raise TransientError(f"result of {job.name} arrived before {key} was recorded as testing; will retry")
    if record.stage is not Stage.TESTING or record.test_job not in (None, job.name):
        return Plan(job_status=done, ignored=f"{key} is {record.stage}, not testing with {job.name}: not applied")
    rule = policy.rule_for(record.model, record.tags)
    if failed:
        notice = _notices(e, rule.notify.verdict, "test_failed", f"Offline test of {key} {e.status.lower()}",
                          {**facts, "Model": key, "Next": "fix the cause, then replay the registration with force"},
                          links)
        step = Transition(model=record.model, version=record.version, to=Stage.REJECTED,
                          reason=f"offline test {job.name} {e.status.lower()}: no verdict")
        return Plan(actions=page + notice + (_tag(e, record.model, record.version, Stage.REJECTED),),
                    transitions=(step,), job_status=done)
    if ctx.metrics is None:
        return Plan(notes=(f"dry-run: the gate reads {job.name}'s metrics only when applied",))
    return _verdict(e, ctx, ctx.metrics, policy, record, done, links)


def _verdict(e: ev.RunFinished, ctx: Context, metrics: Mapping[str, float], policy: Policy,
             record: ModelVersionRecord, done: tuple[tuple[str, str], ...], links: Mapping[str, str]) -> Plan:
    rule = policy.rule_for(record.model, record.tags)
    verdict = evaluate(rule.gate, metrics)
    stage = Stage.CANDIDATE if verdict.passed else Stage.REJECTED
    facts = {"Model": record.key, "Verdict": "passed" if verdict.passed else "rejected",
             "Checks": "\n".join(verdict.checks) or "no checks configured", "Owners": ", ".join(rule.owners) or "-"}
    title = f"{record.key} {'passed the offline test' if verdict.passed else 'was rejected'}"
    actions: tuple[Action, ...] = (_tag(e, record.model, record.version, stage),)
    if verdict.passed:
        actions = (TriggerCD(key=f"{e.id}:cd:staging", environment="staging", target=rule.cd.staging,
                             model=record.model, version=record.version), *actions)
    actions += _notices(e, rule.notify.verdict, "verdict", title, facts, links)
    reason = "gate passed" if verdict.passed else "gate failed: " + "; ".join(
        c for c in verdict.checks if c.startswith("FAIL"))
    step = Transition(model=record.model, version=record.version, to=stage, reason=reason, metrics=metrics)
    return Plan(actions=actions, transitions=(step,), job_status=done)


def _on_drift(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.DriftDetected = event
    facts = {"Monitor": e.monitor, "Run": e.run_id, "Detail": e.detail or "-"}
    rule = policy.drift_rule(e.monitor)
    if rule is None:
        notice = _notices(e, policy.drift.channels, "drift", f"Drift detected by {e.monitor}",
                          {**facts, "Retraining": "none: no drift rule maps this monitor to a model"})
        return Plan(actions=notice, notes=(f"no drift rule for monitor {e.monitor}",))
    busy = [j.name for j in ctx.retrain_jobs if j.status not in ev.TERMINAL_STATUSES]
    if busy:
        return Plan(ignored=f"retraining of {rule.model} already in flight ({busy[0]})")
    cooldown = timedelta(minutes=policy.drift.cooldown_minutes)
    last = max((datetime.fromisoformat(j.submitted_at) for j in ctx.retrain_jobs), default=None)
    if last is not None and ctx.now - last < cooldown:
        return Plan(ignored=f"retraining of {rule.model} is cooling down until {(last + cooldown).isoformat()}")
    window = int(ctx.now.timestamp() // cooldown.total_seconds()) if cooldown else e.id
    name = job_name("retrain", rule.model, f"{rule.model}:{window}")
    job = SubmitJob(key=name, purpose="retrain", job_file=rule.retrain_job, job_name=name, model=rule.model,
                    tags={"mlops_reactor_event": e.id, "mlops_reactor_model": rule.model,
                          "mlops_reactor_purpose": "retrain"})
    notice = _notices(e, policy.drift.channels, "drift", f"Drift detected: retraining {rule.model}",
                      {**facts, "Model": rule.model, "Retraining job": name})
    return Plan(actions=(job, *notice))


def _on_deployed(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.ModelDeployed = event
    env = policy.environment_of(e.service, e.tags)
    if env is None:
        return Plan(ignored=f"service {e.service} maps to no environment (see environments in the policy)")
    plans = [_deployment(e, ctx, policy, model, version, env, True, "") for model, version in e.models]
    return Plan(
        actions=tuple(a for p in plans for a in p.actions),
        transitions=tuple(t for p in plans for t in p.transitions),
        notes=tuple(p.ignored for p in plans if p.ignored),
        violation="; ".join(p.violation for p in plans if p.violation) or None,
    )


def _on_reported(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.DeploymentReported = event
    return _deployment(e, ctx, policy, e.model, e.version, e.environment, e.succeeded, e.run_url)


def _deployment(e: ev.Event, ctx: Context, policy: Policy, model: str, version: str, env: str,
                succeeded: bool, run_url: str) -> Plan:
    key = f"{model}:{version}"
    record = ctx.records.get(key)
    rule = policy.rule_for(model, record.tags if record else {})
    links = {"CD run": run_url} if run_url else {}
    facts = {"Model": key, "Environment": env}
    if not succeeded:
        return Plan(actions=_page(e, ctx, policy, "deploy_failed", f"Deployment of {key} to {env} failed",
                                  facts, links, f"deploy_failed:{key}:{env}"))
    needed, target = (Stage.CANDIDATE, Stage.STAGING) if env == "staging" else (Stage.APPROVED, Stage.PRODUCTION)
    if record is not None and record.stage is target:
        stale = _superseded(ctx, model, version, key) if target is Stage.PRODUCTION else ()
        if stale:  # a promotion whose records were only partly written: finish it
            return Plan(transitions=stale, notes=(f"{key} is already in production; superseding the rest",))
        return Plan(ignored=f"{key} is already in {target}")
    if record is None or record.stage is not needed:
        stage = record.stage if record else "unknown to this app"
        violation = f"{key} was deployed to {env} while {stage}: {env} is only reachable from {needed}"
        page = _page(e, ctx, policy, "out_of_band", f"Out-of-band deployment of {key} to {env}",
                     {**facts, "Stage": str(stage), "Problem": violation}, links, f"out_of_band:{key}:{env}")
        return Plan(actions=page, violation=violation)
    step = Transition(model=model, version=version, to=target, reason=f"CD reported {env} deployed")
    actions: tuple[Action, ...] = (_tag(e, model, version, target),)
    steps: tuple[Transition, ...] = (step,)
    if target is Stage.STAGING:
        actions += (RequestApproval(key=f"{e.id}:approval:{key}", model=model, version=version,
                                    approvers=rule.approvers, channels=rule.notify.approval,
                                    url=_approval_url(ctx, model, version)),)
    else:
        steps += _superseded(ctx, model, version, key)
        actions += _notices(e, rule.notify.promoted, "promoted", f"{key} is in production",
                            {**facts, "Approved by": record.approved_by or "-"}, links)
    return Plan(actions=actions, transitions=steps)


def _superseded(ctx: Context, model: str, version: str, key: str) -> tuple[Transition, ...]:
    """The other production versions of a model, superseded by `key`."""
    return tuple(Transition(model=model, version=r.version, to=Stage.SUPERSEDED, reason=f"superseded by {key}")
                 for r in ctx.records.values()
                 if r.model == model and r.version != version and r.stage is Stage.PRODUCTION)


def _on_approval(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.ApprovalDecided = event
    key = f"{e.model}:{e.version}"
    record = ctx.records.get(key)
    if record is None or record.stage is not Stage.STAGING:
        stage = record.stage if record else "unknown"
        raise GateViolation(f"{key} is {stage}: only a version in staging can be approved or rejected")
    rule = policy.rule_for(e.model, record.tags)
    if rule.approvers and e.approver.lower() not in {a.lower() for a in rule.approvers}:
        raise GateViolation(f"{e.approver} may not decide on {key}: the policy's approvers are "
                            f"{', '.join(rule.approvers)}")
    facts = {"Model": key, "Decision": "approved" if e.approved else "rejected", "By": e.approver,
             "Comment": e.comment or "-"}
    if not e.approved:
        step = Transition(model=e.model, version=e.version, to=Stage.REJECTED, reason="human rejection",
                          by=e.approver)
        notices = _notices(e, rule.notify.verdict, "approval_rejected", f"{key} rejected by {e.approver}", facts)
        return Plan(actions=(_tag(e, e.model, e.version, Stage.REJECTED), *notices), transitions=(step,))
    step = Transition(model=e.model, version=e.version, to=Stage.APPROVED, reason="human approval",
                      by=e.approver)
    cd = TriggerCD(key=f"{e.id}:cd:production", environment="production", target=rule.cd.production,
                   model=e.model, version=e.version, approved_by=e.approver)
    notices = _notices(e, rule.notify.promoted, "approved", f"{key} approved by {e.approver}", facts)
    return Plan(actions=(cd, _tag(e, e.model, e.version, Stage.APPROVED), *notices), transitions=(step,))


_HANDLERS: dict[type, Callable[[Any, Context, Policy], Plan]] = {
    ev.ModelRegistered: _on_registered,
    ev.RunFinished: _on_run,
    ev.DriftDetected: _on_drift,
    ev.ModelDeployed: _on_deployed,
    ev.DeploymentReported: _on_reported,
    ev.ApprovalDecided: _on_approval,
}
