"""Pure decisions: (event, context, policy) -> plan. No I/O; the clock comes in the context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from shared.core import event_types as et
from shared.core import events as ev
from shared.core.actions import Action, Notify, SubmitJob, TriggerCD
from shared.core.approvals import on_expired, on_requested
from shared.core.drift import monitor_failed, on_drift
from shared.core.environments import registry_copy
from shared.core.findings import on_finding
from shared.core.gate import evaluate
from shared.core.guards import hold_back, on_budget_reset, on_silence_expired, on_silence_set
from shared.core.lifecycle import ModelVersionRecord, Stage, Transition
from shared.core.plan import (
    STAGE_TAG,
    Context,
    Plan,
    champion_of,
    job_name,
    notices_for,
    page_oncall,
    stage_tag,
    studio_run,
)
from shared.core.policy import Policy
from shared.core.promotion import on_approval, on_deployed, on_reported
from shared.core.rollout_decide import on_rollout
from shared.core.watchdog import on_endpoint_written

__all__ = ["STAGE_TAG", "Context", "Plan", "decide", "job_name"]


def decide(event: ev.Event, ctx: Context, policy: Policy) -> Plan:
    """The one entry point: dispatch on the event's type."""
    if isinstance(event, ev.Ignored):
        return Plan(ignored=event.reason)
    handler = _HANDLERS[type(event)]
    plan = hold_back(handler(event, ctx, policy), ctx)
    return replace(plan, env=ctx.env) if ctx.env else plan


def _on_registered(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.ModelRegistered = event
    known = ctx.records.get(f"{e.model}:{e.version}")
    retest = known is not None and known.stage is Stage.REJECTED and ctx.forced is not None
    if known is not None and known.stage is not Stage.REGISTERED and not retest:
        hint = "; a rejected version is tested again by a forced replay" if known.stage is Stage.REJECTED else ""
        return Plan(ignored=f"{e.model}:{e.version} is already known (stage {known.stage}){hint}")
    rule = policy.rule_for(e.model, e.tags)
    champion = champion_of(ctx, e.model)
    seed = f"{e.model}:{e.version}" + (f"#retest:{len(known.history)}" if retest and known else "")
    name = job_name("offline_test", e.model, seed)
    job = SubmitJob(
        key=name,
        purpose="offline_test",
        job_file=rule.test_job,
        job_name=name,
        model=e.model,
        version=e.version,
        model_type=rule.model_type or e.model_type,
        champion_version=champion.version if champion else None,
        tags={
            "mlops_reactor_event": e.id,
            "mlops_reactor_model": f"{e.model}:{e.version}",
            "mlops_reactor_purpose": "offline_test",
        },
    )
    step = Transition(
        model=e.model, version=e.version, to=Stage.TESTING, reason=f"offline test {name} submitted", job=name
    )
    return Plan(actions=(job, stage_tag(known, e.model, e.version, Stage.TESTING)), transitions=(step,))


@dataclass(frozen=True, kw_only=True)
class _Run:
    """A finished run as the notices show it: facts, links, and the on-call page if it failed."""

    facts: dict[str, str]
    links: dict[str, str]
    failed: bool
    page: tuple[Notify, ...]


def _on_run(event: Any, ctx: Context, policy: Policy) -> Plan:
    e: ev.RunFinished = event
    run = _run_view(e, ctx, policy)
    job = ctx.job
    if job is None:
        return _not_ours(e, run, policy)
    if job.status != "Submitted" and not ctx.forced:  # reconcile (or an earlier report) closed it already
        return Plan(ignored=f"{job.name} was reported {job.status.lower()} already")
    done = ((job.name, e.status),)
    if job.purpose == "retrain":
        if not run.failed:
            return Plan(job_status=done, notes=("retraining finished; its model registration goes round the loop",))
        title = f"Retraining of {job.model} {e.status.lower()}"
        facts = {**run.facts, "Model": job.model}
        notice = notices_for(job.name, policy.drift.channels, "retrain_failed", title, facts, run.links)
        return Plan(actions=run.page + notice, job_status=done)
    key = f"{job.model}:{job.version}"
    record = ctx.records.get(key)
    if record is None:  # the engine loads the record with the job (they are committed together)
        return Plan(job_status=done, ignored=f"{key} is not recorded: {job.name}'s result is not applied")
    if record.stage is not Stage.TESTING or record.test_job not in (None, job.name):
        return Plan(job_status=done, ignored=f"{key} is {record.stage}, not testing with {job.name}: not applied")
    if e.status == "NotResponding":  # it may still come back: page, keep testing
        return Plan(actions=run.page)
    if run.failed:
        return _test_failed(e, run, policy, record, job.name, done)
    if ctx.metrics is None:
        return Plan(notes=(f"dry-run: the gate reads {job.name}'s metrics only when applied",))
    return _verdict(job.name, ctx.metrics, policy, record, done, run.links)


def _run_view(e: ev.RunFinished, ctx: Context, policy: Policy) -> _Run:
    links = {"Run in Azure ML studio": studio_run(ctx, e.run_id)}
    facts = {"Experiment": e.experiment, "Run": e.run_id, "Status": e.status}
    failed = e.status in ev.FAILED_STATUSES
    title = f"Run {e.status.lower()} in {e.experiment}"
    page = page_oncall(ctx, policy, "run_failed", title, facts, links, f"run_failed:{e.experiment}") if failed else ()
    return _Run(facts=facts, links=links, failed=failed, page=page)


def _not_ours(e: ev.RunFinished, run: _Run, policy: Policy) -> Plan:
    """A run this app did not submit: a failure pages on-call (a monitor's own failure, its owners)."""
    if not run.failed:
        return Plan(ignored=f"run {e.run_id} was not submitted by this app")
    if (monitor := policy.drift_rule(e.experiment)) is not None:
        return monitor_failed(e, monitor, policy, run.facts, run.links)
    if not policy.pages_for(e.experiment):
        return Plan(ignored=f"experiment {e.experiment} does not page on-call")
    return Plan(actions=run.page)


def _test_failed(
    e: ev.RunFinished,
    run: _Run,
    policy: Policy,
    record: ModelVersionRecord,
    job: str,
    done: tuple[tuple[str, str], ...],
) -> Plan:
    """An offline test that failed or was canceled: no verdict, the version is rejected (a forced replay retests)."""
    key = record.key
    rule = policy.rule_for(record.model, record.tags)
    facts = {**run.facts, "Model": key, "Next": "fix the cause, then replay the registration with force"}
    title = f"Offline test of {key} {e.status.lower()}"
    notice = notices_for(
        f"{key}:{job}", rule.notify.verdict, "test_failed", title, facts, run.links, model=record.model
    )
    reason = f"offline test {job} {e.status.lower()}: no verdict"
    step = Transition(model=record.model, version=record.version, to=Stage.REJECTED, reason=reason)
    tag = stage_tag(record, record.model, record.version, Stage.REJECTED)
    return Plan(actions=run.page + notice + (tag,), transitions=(step,), job_status=done)


def _verdict(
    test_job: str,
    metrics: Mapping[str, float],
    policy: Policy,
    record: ModelVersionRecord,
    done: tuple[tuple[str, str], ...],
    links: Mapping[str, str],
) -> Plan:
    rule = policy.rule_for(record.model, record.tags)
    verdict = evaluate(rule.gate, metrics)
    stage = Stage.CANDIDATE if verdict.passed else Stage.REJECTED
    facts = {
        "Model": record.key,
        "Verdict": "passed" if verdict.passed else "rejected",
        "Checks": "\n".join(verdict.checks) or "no checks configured",
        "Owners": ", ".join(rule.owners) or "-",
    }
    title = f"{record.key} {'passed the offline test' if verdict.passed else 'was rejected'}"
    actions: tuple[Action, ...] = (stage_tag(record, record.model, record.version, stage),)
    if verdict.passed:
        actions = (
            *registry_copy(record, policy),
            TriggerCD(
                key=f"cd:{record.key}:staging:{test_job}",
                environment="staging",
                target=rule.cd.staging,
                model=record.model,
                version=record.version,
            ),
            *actions,
        )
    actions += notices_for(
        f"{record.key}:{test_job}", rule.notify.verdict, "verdict", title, facts, links, model=record.model
    )
    reason = (
        "gate passed"
        if verdict.passed
        else "gate failed: " + "; ".join(c for c in verdict.checks if c.startswith("FAIL"))
    )
    step = Transition(model=record.model, version=record.version, to=stage, reason=reason, metrics=metrics)
    return Plan(actions=actions, transitions=(step,), job_status=done)


_HANDLERS: dict[type, Callable[[Any, Context, Policy], Plan]] = {
    ev.ModelRegistered: _on_registered,
    ev.RunFinished: _on_run,
    ev.DriftDetected: on_drift,
    ev.ModelDeployed: on_deployed,
    ev.DeploymentReported: on_reported,
    ev.ApprovalDecided: on_approval,
    ev.ApprovalExpired: on_expired,
    ev.ApprovalRequested: on_requested,
    ev.EndpointWritten: on_endpoint_written,
    ev.ReconcileFinding: on_finding,
    et.SilenceSet: on_silence_set,
    et.SilenceExpired: on_silence_expired,
    et.RetrainBudgetReset: on_budget_reset,
    ev.RolloutObserved: on_rollout,
}
