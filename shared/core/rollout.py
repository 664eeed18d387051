"""The next rollout step of one deployment, read off its endpoint: pure, so the timer and the decision agree.

Staging: provisioned -> report `staging` (the CD report path); failed or past the timeout -> page, stop;
once the version is rejected or superseded, its staging deployment is deleted (`cleanup`).
Production, once approved: [mirror ->] [canary ->] full (100 %) -> report `production` -> retire the old
deployment. Each bake reads the new deployment's health; a breach rolls traffic back. The endpoint's tags say
which step was last applied and when (the bake clock); each step's event and intent keys come from the step.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy_sections import CdTarget, Rollout
from shared.core.rollout_endpoints import (
    FAILED_STATES,
    SUCCEEDED,
    TAG_STEP,
    TAG_STEP_AT,
    DeploymentView,
    EndpointView,
    Health,
)

SHIFTS = ("mirror", "canary", "full", "rollback", "retire", "cleanup")
PAGES = ("failed", "timeout", "rollback_failed")
REPORTS = ("staging", "production")
ROLLED_BACK = "rolled back"


@dataclass(frozen=True, kw_only=True)
class Step:
    """What to do next for one deployment: a traffic shift, a page, or a deployment report."""

    name: str
    target: str
    deployment: DeploymentView
    traffic: Mapping[str, int] = field(default_factory=dict)
    mirror: Mapping[str, int] = field(default_factory=dict)
    delete: tuple[str, ...] = ()
    reason: str = ""
    health: Health | None = None


@dataclass(frozen=True, kw_only=True)
class Bake:
    """A bake is under way: the decision needs the deployment's health since `since`."""

    since: datetime


def deployment_name(model: str, version: str) -> str:
    """A valid, stable deployment name for a model version (letters, digits, '-'; at most 32 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:12].strip("-") or "model"
    ver = re.sub(r"[^a-z0-9]+", "-", version.lower()).strip("-")[:8]
    digest = hashlib.sha256(f"{model}:{version}".encode()).hexdigest()[:6]
    return f"d-{slug}-v{ver}-{digest}"


def next_step(
    view: EndpointView,
    deployment: DeploymentView,
    record: ModelVersionRecord | None,
    target: CdTarget,
    now: datetime,
    health: Health | None = None,
    grace: timedelta = timedelta(minutes=10),
    stages: Mapping[str, Stage | None] | None = None,
) -> Step | Bake | None:
    """The next step for `deployment` on its endpoint (None: nothing to do now).

    `stages`: the stage of each deployment's model version on the endpoint, by deployment name; only the
    deployments of superseded versions are ever retired.
    """
    stage = record.stage if record is not None else None
    if deployment.environment == "staging":
        if stage in (Stage.REJECTED, Stage.SUPERSEDED) and not _serving(view, deployment.name):
            live, mirror = _live(view.traffic), _live(view.mirror)  # a dead version: free its instances
            return _shift("cleanup", view, deployment, live, mirror, delete=(deployment.name,))
        if stage is not Stage.CANDIDATE:
            return None
        if deployment.state != SUCCEEDED:
            return _stuck(view.target, deployment, target, now)
        return Step(name="staging", target=view.target, deployment=deployment)
    if stage is Stage.APPROVED:
        if deployment.state != SUCCEEDED:
            return _stuck(view.target, deployment, target, now)
        return _advance(view, deployment, target.rollout, now, health)
    if stage is Stage.PRODUCTION and not target.rollout.keep_old and view.traffic.get(deployment.name, 0) >= 100:
        old = tuple(
            d.name
            for d in view.deployments
            if d.name != deployment.name
            and d.model == deployment.model
            and (stages or {}).get(d.name) is Stage.SUPERSEDED
            and not _serving(view, d.name)
        )
        if old:
            return _shift("retire", view, deployment, _live(view.traffic), _live(view.mirror), delete=old)
    if stage is Stage.REJECTED and _serving(view, deployment.name) and record is not None:
        last = record.history[-1] if record.history else {}
        at = _time(str(last.get("at") or ""))
        if str(last.get("reason", "")).startswith(ROLLED_BACK) and at is not None:
            if now - at < grace:  # the same step again: a rollback whose process died is finished, a done one is not
                return _rollback(view, deployment, "finishing the rollback")
            share, mirrored = view.traffic.get(deployment.name, 0), view.mirror.get(deployment.name, 0)
            reason = f"{share}% of live traffic and {mirrored}% mirrored are still on {deployment.name}"
            return Step(name="rollback_failed", target=view.target, deployment=deployment, reason=reason)
    return None


def _stuck(name: str, d: DeploymentView, target: CdTarget, now: datetime) -> Step | None:
    """A deployment not provisioned: failed, or past the timeout (a step that pages); None: still provisioning."""
    if d.state in FAILED_STATES:
        return Step(name="failed", target=name, deployment=d, reason=d.error or f"provisioning {d.state}")
    started = _time(d.requested_at)
    limit = timedelta(minutes=target.provision_timeout_minutes)
    if started is not None and now - started >= limit:
        reason = f"still {d.state or 'provisioning'} after {target.provision_timeout_minutes} minutes"
        return Step(name="timeout", target=name, deployment=d, reason=reason)
    return None


def _advance(
    view: EndpointView, d: DeploymentView, rules: Rollout, now: datetime, health: Health | None
) -> Step | Bake | None:
    share = view.traffic.get(d.name, 0)
    if share >= 100:
        return Step(name="production", target=view.target, deployment=d)
    others = {n: t for n, t in view.traffic.items() if n != d.name and t > 0}
    champion = max(others, key=lambda n: others[n], default=None)
    tagged, _, done = view.tags.get(TAG_STEP, "").rpartition(":")
    done = done if tagged == d.name else ""
    sequence = _sequence(rules, champion)
    if not done:
        return _step_to(sequence[0], view, d, rules, champion)
    if done not in ("mirror", "canary") or champion is None:
        return None  # 100 % asked for and not applied yet, or a step the endpoint no longer shows
    since = _time(view.tags.get(TAG_STEP_AT, "")) or now
    if health is None:
        return Bake(since=since)
    breach = breached(health, rules)
    if breach:
        return _rollback(view, d, breach, health)
    bake = rules.mirror_bake_minutes if done == "mirror" else rules.canary_bake_minutes
    if now - since < timedelta(minutes=bake):
        return None
    order = ("mirror", "canary", "full")  # the policy may have changed since: the next step it still has
    later = next(s for s in sequence if order.index(s) > order.index(done))
    return _step_to(later, view, d, rules, champion, health)


def _rollback(view: EndpointView, d: DeploymentView, reason: str, health: Health | None = None) -> Step:
    """All of the new deployment's live share back to the champion; no more mirroring to it."""
    share = view.traffic.get(d.name, 0)
    others = {n: t for n, t in view.traffic.items() if n != d.name and t > 0}
    champion = max(others, key=lambda n: others[n], default=None)
    traffic = _live({**others, champion: others[champion] + share}) if champion else _live(view.traffic)
    mirror = {k: v for k, v in view.mirror.items() if k != d.name}
    return _shift("rollback", view, d, traffic, mirror, reason=reason, health=health)


def _sequence(rules: Rollout, champion: str | None) -> list[str]:
    """The steps from the policy; with no champion there is nothing to compare against: straight to 100 %."""
    if champion is None:
        return ["full"]
    return [s for s, on in (("mirror", rules.mirror_percent), ("canary", rules.canary_percent)) if on] + ["full"]


def _step_to(
    name: str, view: EndpointView, d: DeploymentView, rules: Rollout, champion: str | None, health: Health | None = None
) -> Step:
    if name == "mirror":
        return _shift(name, view, d, _live(view.traffic), {d.name: rules.mirror_percent}, health=health)
    if name == "canary" and champion is not None:
        traffic = {champion: 100 - rules.canary_percent, d.name: rules.canary_percent}
        return _shift(name, view, d, traffic, {}, health=health)
    return _shift("full", view, d, {d.name: 100}, {}, health=health)


def _shift(
    name: str,
    view: EndpointView,
    d: DeploymentView,
    traffic: dict[str, int],
    mirror: dict[str, int],
    *,
    delete: tuple[str, ...] = (),
    reason: str = "",
    health: Health | None = None,
) -> Step:
    return Step(
        name=name,
        target=view.target,
        deployment=d,
        traffic=traffic,
        mirror=mirror,
        delete=delete,
        reason=reason,
        health=health,
    )


def breached(health: Health, rules: Rollout) -> str:
    """Why the health breaks the policy's thresholds ('' when it does not)."""
    problems = []
    judged = health.requests > 0 and health.requests >= rules.min_requests
    if judged and health.error_rate > rules.max_error_rate:
        problems.append(
            f"error rate {health.error_rate:.1%} > {rules.max_error_rate:.1%} "
            f"({health.errors:g} of {health.requests:g} requests)"
        )
    if rules.max_latency_ms is not None and health.latency_ms is not None and health.latency_ms > rules.max_latency_ms:
        problems.append(f"latency {health.percentile} {health.latency_ms:g} ms > {rules.max_latency_ms:g} ms")
    return "; ".join(problems)


def _live(shares: Mapping[str, int]) -> dict[str, int]:
    """The shares that carry traffic (Azure ML drops zeros; a PUT replaces the whole split)."""
    return {name: share for name, share in shares.items() if share}


def _serving(view: EndpointView, name: str) -> bool:
    return view.traffic.get(name, 0) > 0 or view.mirror.get(name, 0) > 0


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
