"""Pure decisions on what reconcile found that no event told: a lost job, a CD request never reported, silence."""

from __future__ import annotations

from typing import Any

from shared.core import events as ev
from shared.core.lifecycle import Stage
from shared.core.plan import Context, Plan, notices_for
from shared.core.policy import Policy

OPEN = "Submitted"  # a job (or CD watch) still waiting for news
CD_PURPOSES = {"cd_staging": "staging", "cd_production": "production"}  # a CD request's watch, per environment
_WAITING = {"staging": Stage.CANDIDATE, "production": Stage.APPROVED}  # the stage a version holds until CD reports


def cd_purpose(environment: str) -> str:
    """The job purpose under which a CD request is watched until its deployment is reported."""
    return f"cd_{environment}"


def on_finding(event: Any, ctx: Context, policy: Policy) -> Plan:
    """Dispatch on the finding's kind."""
    e: ev.ReconcileFinding = event
    if e.kind == "workspace_silent":
        return _silent(e, policy)
    job = ctx.job
    if job is None or job.status != OPEN:
        state = "unknown" if job is None else job.status.lower()
        return Plan(ignored=f"{e.job} is {state}: nothing to reconcile")
    if e.kind == "job_lost":
        facts = {"Job": job.name, "Purpose": job.purpose, "Model": f"{job.model}:{job.version or '-'}"}
        facts["Submitted"] = job.submitted_at
        facts["Problem"] = "the workspace does not know this job: it was deleted, or never submitted"
        title = f"Job {job.name} is lost"
        notices = notices_for(f"lost:{job.name}", policy.platform_channels(), "job_lost", title, facts)
        return Plan(actions=notices, job_status=((job.name, "Lost"),))
    return _cd_check(e, ctx, policy, job.name, job.submitted_at)


def _cd_check(e: ev.ReconcileFinding, ctx: Context, policy: Policy, watch: str, asked: str) -> Plan:
    """A CD request past its report timeout: settled if the version moved on, else its owners hear once."""
    key = f"{e.model}:{e.version}"
    record = ctx.records.get(key)
    waiting = _WAITING.get(e.environment)
    if record is None or record.stage is not waiting:
        stage = record.stage if record else "unknown"
        return Plan(job_status=((watch, "Reported"),), notes=(f"{key} is {stage}: CD to {e.environment} settled",))
    rule = policy.rule_for(e.model, record.tags)
    channels = tuple(dict.fromkeys((*rule.notify.verdict, *rule.notify.approval, *rule.notify.promoted)))
    facts = {
        "Model": key,
        "Environment": e.environment,
        "Asked": asked,
        "Stage": str(record.stage),
        "Owners": ", ".join(rule.owners) or "-",
        "CD request": e.request or "-",
        "Problem": f"CD was asked to deploy to {e.environment} and never reported (POST /api/deployments)",
    }
    links = {"CD run": e.run_url} if e.run_url else {}
    title = f"CD of {key} to {e.environment} was never reported"
    notices = notices_for(watch, channels or policy.platform_channels(), "cd_overdue", title, facts, links)
    return Plan(actions=notices, job_status=((watch, "Overdue"),))


def _silent(e: ev.ReconcileFinding, policy: Policy) -> Plan:
    """The workspace sent nothing for the policy's window: the app may be unsubscribed or failing."""
    facts = {
        "Last event received": e.last_seen,
        "Window": f"{policy.reconcile.heartbeat_minutes} minutes",
        "Check": "the Event Grid subscription, its dead letters, and the function app's health",
    }
    title = "No event from the workspace for a while"
    return Plan(
        actions=notices_for(f"silent:{e.last_seen}", policy.platform_channels(), "workspace_silent", title, facts)
    )
