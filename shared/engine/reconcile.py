"""Reconcile: notice what no event told. Each step reads what is in flight, asks the workspace where needed, and
feeds what it finds through the reactor as an internal event of our own type (same path, same effect keys), so
two runs at once, a rerun, or the late real event all collapse into one effect. Bounded per run: a step that
fills its page leaves a bookmark and the next run goes on from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.core.errors import PermanentError, TransientError
from shared.core.event_types import JOB_RECONCILED, RECONCILE_FINDING, RECONCILED_STATUSES
from shared.core.findings import CD_PURPOSES
from shared.core.ports import JobRef
from shared.engine.expiry import expire_approvals
from shared.engine.outcome import Outcome
from shared.engine.reactor import Reactor
from shared.engine.rollout import advance_rollouts
from shared.engine.silences import expire_silences

log = logging.getLogger("mlops_reactor")
JOB_PURPOSES = ("offline_test", "retrain")


@dataclass(kw_only=True)
class Report:
    """What one reconcile run did: how much it looked at, what it fed through the core, what is left."""

    swept: int = 0  # stalled events finished (the sweep)
    checked: int = 0  # in-flight jobs and CD requests looked at
    workspace_calls: int = 0
    outcomes: list[Outcome] = field(default_factory=list)  # internal events fed through the core
    more: list[str] = field(default_factory=list)  # steps that filled their page: the rest next run
    errors: list[str] = field(default_factory=list)  # problems that stopped an item or a step (retried next run)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the CLI prints it)."""
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[str(o.outcome)] = counts.get(str(o.outcome), 0) + 1
        return {
            "swept": self.swept,
            "checked": self.checked,
            "workspace_calls": self.workspace_calls,
            "fed": counts,
            "events": [o.as_json() for o in self.outcomes],
            "more": self.more,
            "errors": self.errors,
        }


Step = Callable[[Reactor, datetime, int, Report], None]


def reconcile(reactor: Reactor, limit: int | None = None, steps: tuple[Step, ...] | None = None) -> Report:
    """Run every step once; `limit` bounds the items each step looks at (default: the policy's batch)."""
    report = Report()
    if reactor.problems:  # the configured adapters cannot run; nothing is lost by waiting
        report.errors.append("the app is misconfigured: nothing reconciled (see python -m shared doctor)")
        return report
    now = reactor.clock.now()
    for step in steps if steps is not None else STEPS:
        try:
            step(reactor, now, limit or reactor.policy.reconcile.batch, report)
        except TransientError as exc:  # the next run tries again from the same bookmark
            report.errors.append(f"{step.__name__}: {exc}")
            log.warning("reconcile step %s stopped: %s", step.__name__, exc)
    return report


def sweep_stalled(reactor: Reactor, now: datetime, limit: int, report: Report) -> None:
    """Pending intents whose delivery stopped (a crash, a timeout) and whose lease ran out: finish them."""
    report.swept += len(reactor.sweep(limit=limit))


def check_jobs(reactor: Reactor, now: datetime, limit: int, report: Report) -> None:
    """Offline tests and retrains still submitted after the policy's timeout: ask the workspace where they are."""
    before = (now - timedelta(minutes=reactor.policy.reconcile.job_timeout_minutes)).isoformat()
    for purpose in JOB_PURPOSES:
        for job in _page(reactor, purpose, before, limit, report):
            report.workspace_calls += 1
            found = reactor.workspace.job_status(job.name)
            if found is None:
                _feed(reactor, report, RECONCILE_FINDING, {"kind": "job_lost", "job": job.name}, now)
            elif found.status in RECONCILED_STATUSES:
                data = {"runId": job.name, "experimentName": found.experiment or job.purpose, "runStatus": found.status}
                _feed(reactor, report, JOB_RECONCILED, data, now, subject=f"jobs/{job.name}")


def check_cd(reactor: Reactor, now: datetime, limit: int, report: Report) -> None:
    """CD requests not reported within the policy's timeout: settled if the version moved on, else alert once."""
    before = (now - timedelta(minutes=reactor.policy.reconcile.cd_report_timeout_minutes)).isoformat()
    for purpose, environment in CD_PURPOSES.items():
        for watch in _page(reactor, purpose, before, limit, report):
            asked = reactor.store.get_intent(watch.model, watch.name)
            url = str((asked.result if asked else {}).get("url") or "")
            data = {
                "kind": "cd_check",
                "job": watch.name,
                "model": watch.model,
                "version": watch.version or "",
                "environment": environment,
                "runUrl": url if url.startswith(("https://", "http://")) else "",
                "request": str(asked.status) if asked else "unknown",
            }
            _feed(reactor, report, RECONCILE_FINDING, data, now)


def heartbeat(reactor: Reactor, now: datetime, limit: int, report: Report) -> None:
    """No event from the workspace for the policy's window: notice the platform owners, once per silence."""
    minutes = reactor.policy.reconcile.heartbeat_minutes
    last = reactor.store.last_event_at() if minutes else None
    if last is None:  # off, or the workspace never sent anything: nothing to compare with
        return
    try:
        quiet = now - datetime.fromisoformat(last) > timedelta(minutes=minutes)
    except (TypeError, ValueError):
        return
    if quiet:
        _feed(reactor, report, RECONCILE_FINDING, {"kind": "workspace_silent", "lastSeen": last}, now)


def _page(reactor: Reactor, purpose: str, before: str, limit: int, report: Report) -> list[JobRef]:
    """The next page of a purpose's in-flight work after its bookmark; the bookmark moves on (or back to the start)."""
    mark = f"reconcile:{purpose}"
    since, _, name = (reactor.store.get_mark(mark) or "").partition("|")
    page = reactor.store.inflight_jobs(purpose, before, (since, name) if since else None, limit)
    if len(page) >= limit:
        reactor.store.set_mark(mark, f"{page[-1].submitted_at}|{page[-1].name}")
        report.more.append(purpose)
    elif since:
        reactor.store.set_mark(mark, "")
    report.checked += len(page)
    return page


def _feed(
    reactor: Reactor, report: Report, kind: str, data: Mapping[str, Any], now: datetime, subject: str = ""
) -> None:
    """One finding through the core. Its id comes from what was found, so every run that finds it shares it."""
    about = data.get("job") or data.get("runId") or data.get("lastSeen")
    status = str(data.get("runStatus") or data.get("kind")).lower()
    raw = {
        "specversion": "1.0",
        "id": f"reconcile:{status}:{about}",
        "type": kind,
        "source": reactor.workspace_id,
        "subject": subject or f"reconcile/{data.get('kind')}",
        "time": now.isoformat(),
        "data": dict(data),
    }
    try:
        report.outcomes.append(reactor.handle(raw, internal=True))
    except (TransientError, PermanentError) as exc:
        report.errors.append(f"{raw['id']}: {exc}")
        log.warning("reconcile could not feed %s: %s", raw["id"], exc)


def expire_requests(reactor: Reactor, now: datetime, limit: int, report: Report) -> None:
    """Approval requests past the policy's expiry: expired through the core (recorded, approvers told)."""
    outcomes = expire_approvals(reactor, now, limit)
    report.outcomes += outcomes
    if len(outcomes) >= limit:
        report.more.append("expire_requests")


def end_silences(reactor: Reactor, now: datetime, limit: int, report: Report) -> None:
    """Silences whose time passed: ended through the core, with the notice of what each held back."""
    outcomes = expire_silences(reactor, now, limit)
    report.outcomes += outcomes
    if len(outcomes) >= limit:
        report.more.append("end_silences")


def advance_endpoint_rollouts(reactor: Reactor, now: datetime, limit: int, report: Report) -> None:
    """Rollouts on Azure ML endpoints: staging provisioned, each bake judged, each traffic step taken once."""
    outcomes = advance_rollouts(reactor, now, limit)
    report.outcomes += outcomes
    if len(outcomes) >= limit:
        report.more.append("advance_endpoint_rollouts")


STEPS: tuple[Step, ...] = (
    sweep_stalled,
    check_jobs,
    check_cd,
    heartbeat,
    expire_requests,
    end_silences,
    advance_endpoint_rollouts,
    # Each step is a Step (reactor, now, limit, report) feeding internal events through the core.
)
