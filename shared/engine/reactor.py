"""Claim the event, load state, decide, execute, record, complete: the one path every trigger takes."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.core import events as ev
from shared.core.actions import Notify
from shared.core.decide import decide
from shared.core.errors import PermanentError, TransientError, UntrustedSource
from shared.core.lifecycle import ModelVersionRecord, Stage, apply
from shared.core.plan import Context, Plan
from shared.core.policy import Policy
from shared.core.ports import Clock, Completion, Deployer, JobRef, LedgerEntry, Notifier, Store, Workspace
from shared.engine.executor import Executor, window_group

log = logging.getLogger("mlops_reactor")


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What happened to one event: handled, ignored, duplicate or rejected; and each action's result."""

    id: str
    type: str
    outcome: str
    actions: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The replay contract's per-event object."""
        return {"id": self.id, "type": self.type, "outcome": self.outcome, "actions": list(self.actions),
                "error": self.error, "notes": list(self.notes)}


@dataclass(kw_only=True)
class Reactor:
    """The handler core, wired to its ports."""

    policy: Policy
    store: Store
    workspace: Workspace
    deployer: Deployer
    notifier: Notifier
    clock: Clock
    workspace_id: str
    public_url: str
    lease_seconds: int = 120
    approval_link_key: str | None = None  # added to approval links when sent, never planned or recorded

    def handle_delivery(self, body: Any, *, dry_run: bool = False, internal: bool = False,
                        force_reason: str | None = None) -> list[Outcome]:
        """Run every event of a delivery (one object or an array); transient errors propagate."""
        try:
            items = ev.split_delivery(body)
        except PermanentError as exc:
            return [self._reject({"body": body}, "", "", exc, dry_run)]
        return [self.handle(item, dry_run=dry_run, internal=internal, force_reason=force_reason) for item in items]

    def handle(self, raw: Mapping[str, Any], *, dry_run: bool = False, internal: bool = False,
               force_reason: str | None = None) -> Outcome:
        """Run one event through the core. Raises TransientError so the platform redelivers."""
        event_id = str(raw.get("id") or "") if isinstance(raw.get("id"), str) else ""
        event_type = str(raw.get("eventType") or raw.get("type") or "")
        try:
            event = ev.parse(raw, internal=internal)
            event_id, event_type = event.id, event.type
            if isinstance(event, ev.Ignored):
                return Outcome(id=event.id, type=event.type, outcome="ignored", notes=(event.reason,))
            ours = isinstance(event, ev.DeploymentReported | ev.ApprovalDecided)  # parsed only when internal
            if event.source.lower() != self.workspace_id.lower() and not ours:
                raise UntrustedSource(f"event source {event.source!r} is not the configured workspace "
                                      f"{self.workspace_id!r}")
            return self._run(event, dry_run=dry_run, force_reason=force_reason)
        except PermanentError as exc:
            return self._reject(raw, event_id, event_type, exc, dry_run)

    def _run(self, event: ev.Event, *, dry_run: bool, force_reason: str | None) -> Outcome:
        now = self.clock.now()
        if dry_run:
            return self._plan_only(event, now, force_reason)
        claim_id = event.id if not force_reason else f"{event.id}#force:{_digest(force_reason)}"
        occurrence = None if force_reason else event.occurrence
        early: Plan | None = None
        if isinstance(event, ev.RunFinished) and not force_reason and occurrence is None:
            early = decide(event, self._context(event, now, None), self.policy)
            settled = self._settle_grouped(event, early, now)
            if settled is not None:
                return settled
        if not self.store.claim(claim_id, occurrence, now, self.lease_seconds):
            return Outcome(id=event.id, type=event.type, outcome="duplicate")
        try:
            plan = early or decide(event, self._context(event, now, force_reason), self.policy)
            if force_reason:  # a forced re-run acts again: its effects get keys of their own
                suffix = f"#force:{_digest(force_reason)}"
                plan = replace(plan, actions=tuple(replace(a, key=a.key + suffix) for a in plan.actions))
            at = now.isoformat()
            results, records = self._execute(event, plan, at)
            outcome = self._outcome(event, plan, results)
            self.store.finish(self._completion(event, plan, outcome, records, claim_id, occurrence, force_reason, at))
        except TransientError:
            self.store.release(claim_id, occurrence)
            raise
        except PermanentError:
            self.store.release(claim_id, occurrence)  # not done: a replay after the fix runs it again
            raise
        except Exception:
            log.exception("unexpected failure handling event %s: released for redelivery", event.id)
            self.store.release(claim_id, occurrence)
            raise
        return outcome

    def _plan_only(self, event: ev.Event, now: datetime, force_reason: str | None) -> Outcome:
        """A dry run: the plan, with nothing claimed, executed or recorded."""
        if self.store.is_completed(event.id) and not force_reason:
            return Outcome(id=event.id, type=event.type, outcome="duplicate")
        plan = decide(event, self._context(event, now, force_reason, dry_run=True), self.policy)
        return self._outcome(event, plan, [a.describe() for a in plan.actions])

    def _settle_grouped(self, event: ev.Event, plan: Plan, now: datetime) -> Outcome | None:
        """A storm's fast path: an event whose only effects are alerts already sent for their window.

        It needs no lease, as it does nothing outside: one write records it, or finds it recorded (a duplicate).
        None: the event has real work, or owns a window, and takes the ordinary path.
        """
        alerts = [a for a in plan.actions if isinstance(a, Notify) and a.group and a.window_start]
        if plan.transitions or plan.job_status or not alerts or len(alerts) != len(plan.actions):
            return None
        if self.store.is_completed(event.id):  # a redelivery must not take part in a later window
            return Outcome(id=event.id, type=event.type, outcome="duplicate")
        for notice in alerts:
            if self.store.open_window(window_group(notice), notice.window_start or "", notice.key) is not None:
                return None
        at = now.isoformat()
        outcome = self._outcome(event, plan, [{**a.describe(), "status": "grouped"} for a in plan.actions])
        if self.store.settle(self._completion(event, plan, outcome, [], event.id, None, None, at), now):
            return outcome
        return Outcome(id=event.id, type=event.type, outcome="duplicate")

    def _context(self, event: ev.Event, now: datetime, forced: str | None, dry_run: bool = False) -> Context:
        """Load what the decision needs: the versions the event names, each model's champion, our job."""
        versions: list[tuple[str, str | None]] = []
        job = None
        metrics: dict[str, float] | None = {}
        retrain: tuple[JobRef, ...] = ()
        if isinstance(event, ev.ModelRegistered | ev.DeploymentReported | ev.ApprovalDecided):
            versions.append((event.model, event.version))
        elif isinstance(event, ev.ModelDeployed):
            versions.extend(event.models)
        elif isinstance(event, ev.RunFinished):
            job = self.store.get_job(event.run_id)
            if job is not None:
                versions.append((job.model, job.version))
                if job.purpose == "offline_test" and event.status == "Completed":
                    metrics = None if dry_run else self.workspace.job_metrics(job.name)
        elif isinstance(event, ev.DriftDetected):
            rule = self.policy.drift_rule(event.monitor)
            if rule is not None:
                retrain = tuple(self.store.jobs_for(rule.model, "retrain"))
        records = {}
        for model in sorted({m for m, _ in versions}):
            records.update({r.key: r for r in self.store.records(model, str(Stage.PRODUCTION))})
        for model, version in versions:
            record = self.store.get_record(model, version) if version is not None else None
            if record is not None:
                records[record.key] = record
        return Context(now=now, workspace_id=self.workspace_id, public_url=self.public_url,
                       records=records, job=job, metrics=metrics, retrain_jobs=retrain, forced=forced)

    def _execute(self, event: ev.Event, plan: Plan, at: str) -> tuple[list[dict[str, Any]], list[ModelVersionRecord]]:
        """Run the actions in order; the new records count unless a job submission or CD request failed."""
        records = self._next_records(event, plan, at)
        executor = Executor(store=self.store, workspace=self.workspace, deployer=self.deployer,
                            notifier=self.notifier, approval_link_key=self.approval_link_key)
        results = [executor.run(event, action, records, at) for action in plan.actions]
        blocked = any(r["status"] == "failed" and r["kind"] in ("submit_job", "trigger_cd") for r in results)
        return results, [] if blocked else list(records.values())

    def _next_records(self, event: ev.Event, plan: Plan, at: str) -> dict[str, ModelVersionRecord]:
        """Apply every transition in memory first, so a forbidden one stops the plan before any effect."""
        records: dict[str, ModelVersionRecord] = {}
        for step in plan.transitions:
            key = f"{step.model}:{step.version}"
            current = records.get(key) or self.store.get_record(step.model, step.version)
            if current is None:
                tags = event.tags if isinstance(event, ev.ModelRegistered) else {}
                current = ModelVersionRecord(model=step.model, version=step.version, tags=dict(tags))
            records[key] = apply(current, step, at)
        return records

    def _outcome(self, event: ev.Event, plan: Plan, actions: list[dict[str, Any]]) -> Outcome:
        failed = [a["error"] for a in actions if a.get("status") in ("failed", "unconfirmed")]
        notes = plan.notes + ((plan.ignored,) if plan.ignored else ())
        kind = "ignored" if plan.ignored and not actions else "handled"
        error = "; ".join(([plan.violation] if plan.violation else []) + failed) or None
        return Outcome(id=event.id, type=event.type, outcome=kind, actions=tuple(actions), error=error, notes=notes)

    def _completion(self, event: ev.Event, plan: Plan, outcome: Outcome, records: list[ModelVersionRecord],
                    claim_id: str, occurrence: str | None, force_reason: str | None, at: str) -> Completion:
        detail = {"actions": [_brief(a) for a in outcome.actions], "notes": list(outcome.notes), "error": outcome.error,
                  "transitions": [{"model": t.model, "version": t.version, "to": str(t.to), "reason": t.reason,
                                   "by": t.by} for t in plan.transitions],
                  "violation": plan.violation, "forced": force_reason}
        detail = {k: v for k, v in detail.items() if v}  # the ledger keeps what happened, not empty fields
        model, version = _subject(event)
        entry = LedgerEntry(event_id=event.id, event_type=event.type, at=at,
                            outcome=outcome.outcome, model=model, version=version, detail=detail)
        jobs = []
        for name, status in plan.job_status:
            job = self.store.get_job(name)
            if job is not None:
                jobs.append(replace(job, status=status))
        return Completion(claim_id=claim_id, occurrence=occurrence, outcome=outcome.outcome, event_id=event.id,
                          raw=event.raw, ledger=entry, records=tuple(records), jobs=tuple(jobs),
                          dead_letter=outcome.error)

    def _reject(self, raw: Mapping[str, Any], event_id: str, event_type: str, exc: PermanentError,
                dry_run: bool) -> Outcome:
        event_id = event_id or f"unidentified-{_digest(json.dumps(raw, sort_keys=True, default=str))}"
        log.warning("rejected event %s: %s", event_id, exc)
        if not dry_run:
            at = self.clock.now().isoformat()
            self.store.dead_letter(event_id, raw, str(exc), at)
            self.store.append_ledger(LedgerEntry(event_id=event_id, event_type=event_type, at=at,
                                                 outcome="rejected", detail={"error": str(exc)}))
        return Outcome(id=event_id, type=event_type, outcome="rejected", error=str(exc))


_BRIEF = ("kind", "key", "status", "error", "ref", "url", "job_name", "purpose", "environment", "target", "channel",
          "template")


def _brief(action: Mapping[str, Any]) -> dict[str, Any]:
    """What the ledger keeps of an action's result: enough to audit, small enough to write fast."""
    return {k: action[k] for k in _BRIEF if action.get(k) is not None}


def _subject(event: ev.Event) -> tuple[str | None, str | None]:
    model = getattr(event, "model", None)
    version = getattr(event, "version", None)
    return model, version


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
