"""The rollout timer's step: look at each azureml_endpoint target's endpoint and feed due steps into the core.

Nothing here waits: one look per endpoint, a health read for each bake under way, and an internal event per
step that is due (its id names the step: two timers, a crash and a re-run make one decision, one effect).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from shared.core.errors import ReactorError, TransientError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy_sections import CdTarget
from shared.core.rollout import Bake, Step, next_step
from shared.core.rollout_endpoints import DeploymentView, EndpointView
from shared.core.rollout_event import not_applied, step_event, step_id
from shared.engine.outcome import Outcome, Result
from shared.engine.reactor import Reactor

log = logging.getLogger("mlops_reactor")
FORWARD = ("mirror", "canary", "full")


def advance_rollouts(reactor: Reactor, now: datetime | None = None, limit: int = 50) -> list[Outcome]:
    """Run each due rollout step (at most `limit`); the outcomes of the steps taken (duplicates left out)."""
    if reactor.endpoints is None or reactor.problems:
        return []
    now = now or reactor.clock.now()
    outcomes: list[Outcome] = []
    for name, target in sorted(reactor.policy.cd_targets.items()):
        if target.kind != "azureml_endpoint":
            continue
        try:
            view = reactor.endpoints.view(name)
        except ReactorError as exc:  # one endpoint out of reach must not hold up the others
            log.warning("rollout: cannot read endpoint of CD target %s: %s", name, exc)
            continue
        records = {d.name: reactor.store.get_record(d.model, d.version) for d in view.deployments}
        stages = {name: r.stage if r else None for name, r in records.items()}
        for deployment in view.deployments:
            if len(outcomes) >= limit:
                return outcomes
            try:
                step = _due(reactor, view, deployment, records[deployment.name], target, now, stages)
            except ReactorError as exc:  # no health, no step: the bake waits for the next look
                log.warning("rollout: cannot read the health of %s: %s", deployment.name, exc)
                continue
            if step is None:
                continue
            try:
                outcome = reactor.handle(step_event(step, reactor.workspace_id, now), internal=True)
            except TransientError as exc:  # held by a delivery still running, or a throttled call: next look
                log.warning("rollout: step %s of %s will be tried again: %s", step.name, deployment.name, exc)
                continue
            if outcome.outcome != Result.DUPLICATE:
                outcomes.append(outcome)
    return outcomes


def _due(
    reactor: Reactor,
    view: EndpointView,
    deployment: DeploymentView,
    record: ModelVersionRecord | None,
    target: CdTarget,
    now: datetime,
    stages: Mapping[str, Stage | None],
) -> Step | None:
    grace = timedelta(seconds=2 * reactor.lease_seconds)  # a rollback still under way is not a failed one
    step = next_step(view, deployment, record, target, now, grace=grace, stages=stages)
    if isinstance(step, Bake) and reactor.endpoints is not None:
        health = reactor.endpoints.health(view.target, deployment.name, step.since, now)
        step = next_step(view, deployment, record, target, now, health, grace, stages)
    if isinstance(step, Step) and step.name in FORWARD and reactor.store.is_completed(step_id(step)):
        return _refused(reactor, step, now, grace)
    return step if isinstance(step, Step) else None


def _refused(reactor: Reactor, step: Step, now: datetime, grace: timedelta) -> Step | None:
    """A step decided and carried out that the endpoint still does not show after the grace: it was refused."""
    entries = reactor.store.ledger(event_id=step_id(step), limit=1)
    at = datetime.fromisoformat(entries[-1].at) if entries else now
    return not_applied(step) if now - at >= grace else None  # an endpoint update may take a while to show
