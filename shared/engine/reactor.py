"""Parse, guard, load, decide, commit the intent, act, finish: the one path every trigger takes."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from shared.core import events as ev
from shared.core.config_check import Problem
from shared.core.decide import decide
from shared.core.errors import PermanentError, TransientError
from shared.core.plan import Plan
from shared.core.policy import Policy
from shared.core.ports import Clock, Deployer, Notifier, Store, Workspace
from shared.core.rollout_endpoints import Endpoints
from shared.core.state import Claimed, Committed, Conflict, Finish
from shared.engine.commit import Draft, draft
from shared.engine.executor import Executor
from shared.engine.intake import admit
from shared.engine.load import Loader
from shared.engine.outcome import ActionStatus, Outcome, Result, action_view, ledger_entry, outcome_of, taken_view
from shared.engine.refused import refused_deployments
from shared.engine.registry_order import held_back
from shared.engine.run import carry_out, resume
from shared.engine.silence_cache import ActiveSilences
from shared.engine.windows import TakenWindows

__all__ = ["Outcome", "Reactor", "Result"]
log = logging.getLogger("mlops_reactor")
_DECISIONS = 8  # decide again at most this often when the subject keeps changing; then let the platform retry


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
    window_cache_size: int = 4096
    problems: tuple[Problem, ...] = ()  # configuration problems: every event is kept as a dead letter until fixed
    observer: Callable[[Mapping[str, Any], Callable[[], Outcome]], Outcome] | None = None  # telemetry (shared/app)
    silence_ttl_seconds: float = 5.0  # how long a process reuses the silences it read (engine/silences.py)
    endpoints: Endpoints | None = None  # online endpoints of azureml_endpoint CD targets (engine/rollout.py)
    _taken_windows: TakenWindows = field(init=False, repr=False)
    active_silences: ActiveSilences = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._taken_windows = TakenWindows(self.window_cache_size)
        self.active_silences = ActiveSilences(self.store, self.silence_ttl_seconds)

    def handle_delivery(
        self,
        body: Any,
        *,
        dry_run: bool = False,
        internal: bool = False,
        force_reason: str | None = None,
        replayed: bool = False,
    ) -> list[Outcome]:
        """Run every event of a delivery (one object or an array); transient errors propagate."""
        try:
            items = ev.split_delivery(body)
        except PermanentError as exc:
            return [self._reject({"body": body}, "", "", exc, dry_run)]
        return [
            self.handle(item, dry_run=dry_run, internal=internal, force_reason=force_reason, replayed=replayed)
            for item in items
        ]

    def handle(
        self,
        raw: Mapping[str, Any],
        *,
        dry_run: bool = False,
        internal: bool = False,
        force_reason: str | None = None,
        replayed: bool = False,
    ) -> Outcome:
        """Run one event through the core (in the observer's span, if any). Raises TransientError to redeliver."""

        def run() -> Outcome:
            return self._handle(raw, dry_run=dry_run, internal=internal, force_reason=force_reason, replayed=replayed)

        return run() if self.observer is None else self.observer(raw, run)

    def _handle(
        self, raw: Mapping[str, Any], *, dry_run: bool, internal: bool, force_reason: str | None, replayed: bool
    ) -> Outcome:
        event_id = str(raw.get("id") or "") if isinstance(raw.get("id"), str) else ""
        event_type = str(raw.get("eventType") or raw.get("type") or "")
        about: tuple[str | None, str | None] = (None, None)
        try:
            admitted = admit(
                raw,
                internal=internal,
                replayed=replayed,
                workspace_id=self.workspace_id,
                problems=self.problems,
                also=tuple(w.id for w in self.policy.workspaces),
            )
            if isinstance(admitted, Outcome):
                return admitted
            event = admitted
            event_id, event_type = event.id, event.type
            about = (getattr(event, "model", None), getattr(event, "version", None))
            if dry_run:
                return self._plan_only(event, force_reason)
            return self._run(event, force_reason)
        except PermanentError as exc:
            return self._reject(raw, event_id, event_type, exc, dry_run, about)

    def sweep(self, limit: int = 100) -> list[Outcome]:
        """Finish committed events whose delivery stopped before their effects were done (a crash, a timeout)."""
        if self.problems:  # the adapters the configuration names cannot run; nothing is lost by waiting
            return []
        now = self.clock.now()
        return [o for claim in self.store.stalled(now, limit) if (o := self._resume(claim, now)) is not None]

    @cached_property
    def _loader(self) -> Loader:
        return Loader(
            store=self.store,
            workspace=self.workspace,
            policy=self.policy,
            workspace_id=self.workspace_id,
            public_url=self.public_url,
            silences=self.active_silences,
        )

    @cached_property
    def _executor(self) -> Executor:
        return Executor(
            workspace=self.workspace,
            deployer=self.deployer,
            notifier=self.notifier,
            approval_link_key=self.approval_link_key,
            store=self.store,
            endpoints=self.endpoints,
        )

    def _run(self, event: ev.Event, force_reason: str | None) -> Outcome:
        now = self.clock.now()
        claim_id = event.id if not force_reason else f"{event.id}#force:{_digest(force_reason)}"
        for _ in range(_DECISIONS):
            loaded = self._loader.load(event, now, force_reason)
            try:
                plan = _forced(decide(event, loaded.ctx, self.policy), force_reason)
                decision = draft(
                    event,
                    plan,
                    loaded,
                    claim_id,
                    None if force_reason else event.occurrence,
                    now.isoformat(),
                    force_reason,
                    self._taken_windows,
                )
            except PermanentError:
                if (settled := self._settled(event, claim_id, now)) is not None:
                    return settled
                raise
            try:
                committed = self.store.commit(decision.commit, now, self.lease_seconds)
            except Conflict:
                continue
            return self._after(event, decision, committed, now)
        raise TransientError(f"the state of {event.id}'s model kept changing while deciding; will retry")

    def _after(self, event: ev.Event, decision: Draft, committed: Committed, now: datetime) -> Outcome:
        if committed.claimed is Claimed.DUPLICATE:
            return Outcome(id=event.id, type=event.type, outcome=Result.DUPLICATE)
        if committed.claimed is Claimed.STALLED:
            resumed_outcome = self._resume(committed.claim_id, now)
            if committed.claim_id == decision.commit.claim_id and resumed_outcome is not None:
                return resumed_outcome
            return Outcome(
                id=event.id,
                type=event.type,
                outcome=Result.DUPLICATE,
                notes=(f"finished {committed.claim_id}, which reported the same thing first",),
            )
        if decision.commit.grouped and committed.done:
            return decision.outcome
        self._taken_windows.remember(decision.commit.intents, committed.taken)
        plan, at = decision.plan, decision.commit.ledger.at
        taken = {
            k: taken_view(i, committed.taken[k]) for i in decision.commit.intents if (k := i.key) in committed.taken
        }
        if committed.done:
            return outcome_of(event, plan, [taken.get(i.key) or action_view(i) for i in decision.commit.intents])
        results = carry_out(self.store, self._executor, committed, decision.records, at)
        done = {r.key: action_view(r) for r in results}
        views = [done.get(i.key) or taken[i.key] for i in decision.commit.intents]
        outcome = outcome_of(event, plan, views)
        self.store.finish(
            Finish(
                claim_id=committed.claim_id,
                occurrence=decision.commit.occurrence,
                raw=decision.commit.raw,
                results=results,
                ledger=ledger_entry(event, plan, outcome, at, decision.forced),
                dead_letter=outcome.error,
            )
        )
        pages = refused_deployments(results, self.policy, self.workspace_id, now)  # page: nothing to watch
        for refused in pages + held_back(results, self.policy, self.workspace_id, now):
            try:
                self.handle(refused, internal=True)
            except TransientError as exc:  # this event is complete: a redelivery would not bring the page back
                log.warning("could not page the refused deployment %s: %s", refused["id"], exc)
        return outcome

    def _resume(self, claim_id: str, now: datetime) -> Outcome | None:
        return resume(self.store, self._executor, claim_id, now, self.lease_seconds, self._again)

    def _again(self, raw: Mapping[str, Any]) -> Outcome | None:
        """Decide anew an event whose claim was dropped, its decision never landed (it was admitted once: trusted)."""
        try:
            return self.handle(raw, internal=True)
        except TransientError as exc:  # its claim is open again, or Event Grid redelivers: the next try decides
            log.warning("could not decide %s again yet: %s", raw.get("id"), exc)
            return None

    def _settled(self, event: ev.Event, claim_id: str, now: datetime) -> Outcome | None:
        """A decision refused on the state this very event already changed: it is a duplicate, or stalled."""
        status = self.store.claim_status(claim_id, now.timestamp())
        if status is Claimed.DUPLICATE:
            return Outcome(id=event.id, type=event.type, outcome=Result.DUPLICATE)
        if status is Claimed.STALLED:
            return self._resume(claim_id, now)
        return None

    def _plan_only(self, event: ev.Event, force_reason: str | None) -> Outcome:
        """A dry run: the plan, with nothing claimed, executed or recorded."""
        if self.store.is_completed(event.id) and not force_reason:
            return Outcome(id=event.id, type=event.type, outcome=Result.DUPLICATE)
        now = self.clock.now()
        plan = decide(event, self._loader.load(event, now, force_reason, dry_run=True).ctx, self.policy)
        return outcome_of(event, plan, [{**a.describe(), "status": str(ActionStatus.PLANNED)} for a in plan.actions])

    def _reject(
        self,
        raw: Mapping[str, Any],
        event_id: str,
        event_type: str,
        exc: PermanentError,
        dry_run: bool,
        about: tuple[str | None, str | None] = (None, None),
    ) -> Outcome:
        event_id = event_id or f"unidentified-{_digest(json.dumps(raw, sort_keys=True, default=str))}"
        log.warning("rejected event %s: %s", event_id, exc)
        if not dry_run:
            self.store.reject(event_id, event_type, raw, str(exc), self.clock.now().isoformat(), *about)
        return Outcome(id=event_id, type=event_type, outcome=Result.REJECTED, error=str(exc))


def _forced(plan: Plan, force_reason: str | None) -> Plan:
    """A forced re-run acts again: its effects get keys of their own."""
    if not force_reason:
        return plan
    suffix = f"#force:{_digest(force_reason)}"
    return replace(plan, actions=tuple(replace(a, key=a.key + suffix) for a in plan.actions))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
