"""Turn a plan into the first write: new records, new jobs and the intended effects, before any effect runs."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, replace

from shared.core import events as ev
from shared.core.actions import SubmitJob, TriggerCD, window_of
from shared.core.findings import cd_purpose
from shared.core.lifecycle import ModelVersionRecord, amend, apply
from shared.core.plan import Plan
from shared.core.state import Commit, Intent, JobRef
from shared.engine.load import Loaded
from shared.engine.outcome import ActionStatus, Outcome, action_view, ledger_entry, outcome_of


@dataclass(frozen=True, kw_only=True)
class Draft:
    """A decision ready to commit, with the plan it came from and the records as they will be."""

    commit: Commit
    plan: Plan
    records: Mapping[str, ModelVersionRecord]
    forced: str | None
    outcome: Outcome  # the outcome if nothing is left to do (every action grouped)


def draft(
    event: ev.Event,
    plan: Plan,
    loaded: Loaded,
    claim_id: str,
    occurrence: str | None,
    at: str,
    forced: str | None,
    taken_windows: Container[str],
) -> Draft:
    """The commit for a plan. GateViolation: a transition the lifecycle forbids (nothing is written)."""
    changed = next_records(event, plan, loaded.ctx.records, at)
    jobs = _jobs(event, plan, loaded, at)
    intents = tuple(Intent(key=a.key, action=a.describe(), window=window_of(a)) for a in plan.actions)
    grouped = bool(intents) and not changed and not jobs and all(i.key in taken_windows for i in intents)
    status = ActionStatus.GROUPED if grouped else ActionStatus.PLANNED
    outcome = outcome_of(event, plan, [action_view(i, status) for i in intents])
    ledger = ledger_entry(event, plan, outcome, at, forced)
    touched = {r.model for r in changed.values()} | {j.model for j in jobs}
    commit = Commit(
        claim_id=claim_id,
        occurrence=occurrence,
        raw=event.raw,
        ledger=ledger,
        subjects={m: r for m, r in loaded.subjects.items() if m in touched},
        records=tuple(changed.values()),
        jobs=jobs,
        intents=intents,
        grouped=grouped,
    )
    return Draft(commit=commit, plan=plan, records={**loaded.ctx.records, **changed}, forced=forced, outcome=outcome)


def next_records(
    event: ev.Event, plan: Plan, known: Mapping[str, ModelVersionRecord], at: str
) -> dict[str, ModelVersionRecord]:
    """Every transition applied in memory, so a forbidden one stops the plan before anything is written."""
    records: dict[str, ModelVersionRecord] = {}
    for step in plan.transitions:
        key = f"{step.model}:{step.version}"
        current = records.get(key) or known.get(key)
        if current is None:
            tags = event.tags if isinstance(event, ev.ModelRegistered) else {}
            by = event.registered_by if isinstance(event, ev.ModelRegistered) else None
            current = ModelVersionRecord(model=step.model, version=step.version, tags=dict(tags), registered_by=by)
        records[key] = _in_env(apply(current, step, at), plan.env)
    for change in plan.amends:
        key = f"{change.model}:{change.version}"
        current = records.get(key) or known.get(key)
        if current is not None:
            records[key] = _in_env(amend(current, change, at), plan.env) if change.note else amend(current, change, at)
    return records


def _in_env(record: ModelVersionRecord, env: str | None) -> ModelVersionRecord:
    """The record with its newest history step marked with the environment it happened in (dev / test / prd)."""
    if not env or not record.history:
        return record
    return replace(record, history=(*record.history[:-1], {**record.history[-1], "env": env}))


def _jobs(event: ev.Event, plan: Plan, loaded: Loaded, at: str) -> tuple[JobRef, ...]:
    """Jobs this plan submits (known before they are, so their result can be traced), and status updates."""
    jobs = [
        JobRef(name=a.job_name, purpose=a.purpose, model=a.model, version=a.version, event_id=event.id, submitted_at=at)
        for a in plan.actions
        if isinstance(a, SubmitJob)
    ]
    jobs += [  # a CD request is watched like a job until reconcile sees its deployment reported
        JobRef(
            name=a.key,
            purpose=cd_purpose(a.environment),
            model=a.model,
            version=a.version,
            event_id=event.id,
            submitted_at=at,
        )
        for a in plan.actions
        if isinstance(a, TriggerCD)
    ]
    job = loaded.ctx.job
    for name, status in plan.job_status:
        if job is not None and job.name == name:
            jobs.append(replace(job, status=status))
    return tuple(jobs)
