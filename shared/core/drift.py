"""Drift decisions: a breach retrains the model its monitor watches; a monitor's own failure goes to its owners."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from shared.core import events as ev
from shared.core.actions import SubmitJob
from shared.core.budget import spent
from shared.core.guards import budget_exhausted
from shared.core.plan import Context, Plan, job_name, notices_for
from shared.core.policy import DriftRule, Policy


def on_drift(event: Any, ctx: Context, policy: Policy) -> Plan:
    """Retrain the monitored model (one in flight, cooldown) and tell the drift channels; keys name the run."""
    e: ev.DriftDetected = event
    facts = {"Monitor": e.monitor, "Run": e.run_id, "Detail": e.detail or "-"}
    rule = policy.drift_rule(e.monitor)
    if rule is None:
        notice = notices_for(
            f"{e.monitor}:{e.run_id}",
            policy.drift.channels,
            "drift",
            f"Drift detected by {e.monitor}",
            {**facts, "Retraining": "none: no drift rule maps this monitor to a model"},
        )
        return Plan(actions=notice, notes=(f"no drift rule for monitor {e.monitor}",))
    busy = [j.name for j in ctx.retrain_jobs if j.status not in ev.TERMINAL_STATUSES]
    if busy:
        return Plan(ignored=f"retraining of {rule.model} already in flight ({busy[0]})")
    cooldown = timedelta(minutes=policy.drift.cooldown_minutes)
    last = max((datetime.fromisoformat(j.submitted_at) for j in ctx.retrain_jobs), default=None)
    if last is not None and ctx.now - last < cooldown:
        return Plan(ignored=f"retraining of {rule.model} is cooling down until {(last + cooldown).isoformat()}")
    if rule.retrain_budget is not None and (
        used := spent(rule.retrain_budget, ctx.retrain_jobs, ctx.budget_reset, ctx.now)
    ):
        return budget_exhausted(rule, used, policy, facts)
    name = job_name("retrain", rule.model, f"{rule.model}:{e.run_id}")  # what happened: this monitor run
    job = SubmitJob(
        key=name,
        purpose="retrain",
        job_file=rule.retrain_job,
        job_name=name,
        model=rule.model,
        tags={"mlops_reactor_event": e.id, "mlops_reactor_model": rule.model, "mlops_reactor_purpose": "retrain"},
    )
    notice = notices_for(
        name,
        policy.drift.channels,
        "drift",
        f"Drift detected: retraining {rule.model}",
        {**facts, "Model": rule.model, "Retraining job": name},
    )
    return Plan(actions=(job, *notice))


def monitor_failed(
    e: ev.RunFinished, rule: DriftRule, policy: Policy, facts: Mapping[str, str], links: Mapping[str, str]
) -> Plan:
    """A monitoring run that ended without the breach tag: the monitor itself broke; its owners hear of it."""
    notice = notices_for(
        e.run_id,
        policy.monitor_channels(rule),
        "monitor_failed",
        f"Monitor {e.experiment} {e.status.lower()}: no drift verdict",
        {**facts, "Model": rule.model, "Owners": ", ".join(rule.owners) or "-"},
        links,
    )
    return Plan(actions=notice, notes=(f"monitor {e.experiment} run {e.run_id} {e.status.lower()} without a verdict",))
