"""Load what a decision needs, with the revision of the subject it decides on (read first, so a later commit shows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared.core import event_types as et
from shared.core import events as ev
from shared.core.environments import environment_of
from shared.core.errors import TransientError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.plan import Context
from shared.core.policy import Policy
from shared.core.ports import JobRef, Store, Workspace
from shared.core.silences import Silence

_APPROVALS = ev.ApprovalExpired | ev.ApprovalRequested


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
    silences: Callable[[], tuple[Silence, ...]] = tuple  # the silences not ended (cached by the reactor)

    def load(self, event: ev.Event, now: datetime, forced: str | None, dry_run: bool = False) -> Loaded:
        versions, job, retrain = self._named(event)
        endpoint = None
        if isinstance(event, ev.EndpointWritten):  # read only: what the endpoint serves now, whoever wrote it
            endpoint = self.workspace.endpoint_models(event.endpoint, event.workspace)
            versions = [(d.model, d.version) for d in endpoint.deployments if d.model] if endpoint else []
        subjects = {
            model: self.store.subject_revision(model, [v for m, v in versions if m == model and v])
            for model in sorted({m for m, _ in versions})
        }
        budget_reset = None
        if isinstance(event, ev.DriftDetected) and (rule := self.policy.drift_rule(event.monitor)) is not None:
            subjects[rule.model] = self.store.subject_revision(rule.model)
            retrain = tuple(self.store.jobs_for(rule.model, "retrain"))
            budget_reset = self.store.budget_reset(rule.model)  # drift is rare: one point read
        if isinstance(event, et.RetrainBudgetReset):
            budget_reset = self.store.budget_reset(event.model)
        silence, held = _silence_of(self.store, event)
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
        registrant = self._registrant(event, records)
        ctx = Context(
            now=now,
            workspace_id=self.workspace_id,
            public_url=self.public_url,
            records=records,
            job=job,
            metrics=metrics,
            retrain_jobs=retrain,
            forced=forced,
            registrant=registrant,
            endpoint=endpoint,
            silences=self.silences(),
            silence=silence,
            held=held,
            budget_reset=budget_reset,
            env=environment_of(event, self.policy, self.workspace_id),
        )
        return Loaded(ctx=ctx, subjects=subjects)

    def _named(self, event: ev.Event) -> tuple[list[tuple[str, str]], JobRef | None, tuple[JobRef, ...]]:
        """The model versions an event names (through our job, for a run), and that job."""
        if isinstance(
            event, ev.ModelRegistered | ev.DeploymentReported | ev.ApprovalDecided | _APPROVALS | ev.RolloutObserved
        ):
            return [(event.model, event.version)], None, ()
        if isinstance(event, ev.ModelDeployed):
            return list(event.models), None, ()
        if isinstance(event, ev.ReconcileFinding) and event.job:  # reconcile: the job (or CD watch) it is about
            job = self.store.get_job(event.job)
            if event.model:
                return [(event.model, event.version)], job, ()
            if job is not None and job.version is not None:
                return [(job.model, job.version)], job, ()
            return ([(job.model, "")] if job else []), job, ()
        if isinstance(event, ev.RunFinished):
            job = self.store.get_job(event.run_id)
            if job is not None and job.version is not None:
                return [(job.model, job.version)], job, ()
            return ([(job.model, "")] if job else []), job, ()
        return [], None, ()

    def _registrant(self, event: ev.Event, records: dict[str, ModelVersionRecord]) -> str | None:
        """For an approval of a version whose registration named nobody: who the workspace says registered it."""
        if not isinstance(event, ev.ApprovalDecided) or not event.approved:
            return None
        record = records.get(f"{event.model}:{event.version}")
        if record is None or record.registered_by or record.stage is not Stage.STAGING:
            return None
        return self.workspace.model_creator(event.model, event.version)


def _silence_of(store: Store, event: ev.Event) -> tuple[Silence | None, dict[str, int]]:
    """The silence a silence event names, as stored; and, when it is to end, what it held back."""
    if not isinstance(event, et.SilenceSet | et.SilenceExpired):
        return None, {}
    silence = store.get_silence(event.silence)
    ending = isinstance(event, et.SilenceExpired) and silence is not None and silence.ended_at is None
    return silence, store.held(event.silence) if ending else {}
