"""Load what a decision needs, with the revision of the subject it decides on (read first, so a later commit shows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.core import events as ev
from shared.core.errors import TransientError
from shared.core.lifecycle import Stage
from shared.core.plan import Context
from shared.core.policy import Policy
from shared.core.ports import JobRef, Store, Workspace


@dataclass(frozen=True, kw_only=True)
class Loaded:
    """A decision's inputs: the context, and each subject's revision when it was read."""

    ctx: Context
    subjects: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class Loader:
    """Reads the store (and, for a test verdict, the job's metrics) for one event."""

    store: Store
    workspace: Workspace
    policy: Policy
    workspace_id: str
    public_url: str

    def load(self, event: ev.Event, now: datetime, forced: str | None, dry_run: bool = False) -> Loaded:
        versions, job, retrain = self._named(event)
        subjects = {model: self.store.subject_revision(model) for model in sorted({m for m, _ in versions})}
        if isinstance(event, ev.DriftDetected) and (rule := self.policy.drift_rule(event.monitor)) is not None:
            subjects[rule.model] = self.store.subject_revision(rule.model)
            retrain = tuple(self.store.jobs_for(rule.model, "retrain"))
        records = {}
        for model in subjects:
            records.update({r.key: r for r in self.store.records(model, str(Stage.PRODUCTION))})
        for model, version in versions:
            if not version:
                continue
            record = self.store.get_record(model, version)
            if record is not None:
                records[record.key] = record
        metrics: dict[str, float] | None = {}
        if job is not None and job.purpose == "offline_test":
            if f"{job.model}:{job.version}" not in records:
                raise TransientError(
                    f"result of {job.name} arrived before {job.model}:{job.version} was recorded as testing; will retry"
                )
            if isinstance(event, ev.RunFinished) and event.status == "Completed":
                metrics = None if dry_run else self.workspace.job_metrics(job.name)
        ctx = Context(
            now=now,
            workspace_id=self.workspace_id,
            public_url=self.public_url,
            records=records,
            job=job,
            metrics=metrics,
            retrain_jobs=retrain,
            forced=forced,
        )
        return Loaded(ctx=ctx, subjects=subjects)

    def _named(self, event: ev.Event) -> tuple[list[tuple[str, str]], JobRef | None, tuple[JobRef, ...]]:
        """The model versions an event names (through our job, for a run), and that job."""
        if isinstance(event, ev.ModelRegistered | ev.DeploymentReported | ev.ApprovalDecided | ev.RolloutObserved):
            return [(event.model, event.version)], None, ()
        if isinstance(event, ev.ModelDeployed):
            return list(event.models), None, ()
        if isinstance(event, ev.RunFinished):
            job = self.store.get_job(event.run_id)
            if job is not None and job.version is not None:
                return [(job.model, job.version)], job, ()
            return ([(job.model, "")] if job else []), job, ()
        return [], None, ()
