"""Demo scenario "reconcile": what Event Grid never said is found, decided once, and a late event is a duplicate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from shared.adapters.notify.outbox import OutboxNotifier
from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.core.clock import FixedClock
from shared.core.policy_reconcile import Reconcile
from shared.engine.reconcile import Report, reconcile
from shared.tools import synthetic

MODEL = "credit-risk"
TEMPLATES = ("job_lost", "cd_overdue", "workspace_silent")
HEARTBEAT = 240  # minutes without an event before the platform owners hear of it (the policy's default is off)


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """Tell the story on a fresh in-process local app in `state_dir` (the heartbeat on, at four hours)."""
    clock = FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    app = bootstrap.local(state_dir, clock=clock)
    app = replace(app, policy=app.policy.model_copy(update={"reconcile": Reconcile(heartbeat_minutes=HEARTBEAT)}))
    workspace, outbox = app.workspace, app.notifier
    assert isinstance(workspace, LocalWorkspace) and isinstance(outbox, OutboxNotifier)
    outbox.console = None
    timeout = app.policy.reconcile.job_timeout_minutes

    def at(text: str) -> None:
        out(f"[{clock.now():%H:%M}] {text}")

    def reconciled(report: Report) -> None:
        for o in report.outcomes:
            notes = "; ".join(o.notes)
            kinds = ", ".join(f"{a['kind']}={a.get('status')}" for a in o.actions)
            out(f"        {o.type.rsplit('.', 1)[-1]} {o.id}: {o.outcome}" + (f" -> {kinds}" if kinds else ""))
            if notes:
                out(f"          ({notes})")
        out(f"        checked {report.checked}, {report.workspace_calls} workspace call(s), swept {report.swept}")

    at(f"{MODEL} v1 is registered; the reactor submits its offline test")
    app.handle(workspace.register_model(MODEL))
    job = _queued(workspace)
    workspace.complete_job(job, "Completed", {"auc": 0.91, "latency_ms": 120}, emit=False)
    at(f"the workspace finishes {job}; Event Grid drops its events (a 403, a paused subscription)")
    reconciled(reconcile(app))
    at("reconcile: the job is younger than the timeout, nothing to ask yet")
    clock.advance(minutes=timeout + 1)
    at(f"{timeout} minutes later, reconcile asks the workspace about the job still in flight")
    reconciled(reconcile(app))
    record = app.store.get_record(MODEL, "1")
    at(f"{MODEL}:1 is {record.stage if record else '?'}; staging CD was asked once")
    late = synthetic.build("run_completed", app.workspace_id, run_id=job, experiment="mlops-reactor-offline_test")
    outcome = app.handle(late)
    at(f"the real RunCompleted arrives late: {outcome.outcome} (same occurrence, nothing done twice)")

    at(f"{MODEL} v2 is registered; then its job is deleted in the workspace")
    app.handle(workspace.register_model(MODEL))
    workspace.lose_job(_queued(workspace))
    clock.advance(minutes=timeout + 1)
    at("reconcile: v2's job is unknown to the workspace; v1's staging CD never reported")
    reconciled(reconcile(app))
    at("reconcile again: nothing new (each finding is keyed by what it found)")
    reconciled(reconcile(app))
    clock.advance(minutes=HEARTBEAT - timeout)
    at(f"no event from the workspace for {HEARTBEAT} minutes: the subscription may be gone")
    reconciled(reconcile(app))
    clock.advance(minutes=30)
    at("still silent: the same silence is not noticed twice")
    reconciled(reconcile(app))
    sent = [n for n in outbox.sent() if n.template in TEMPLATES]
    for n in sent:
        link = f"  <{n.links['CD run']}>" if "CD run" in n.links else ""
        out(f"        notice [{n.channel}] {n.template}: {n.title}{link}")
    at(f"{len(sent)} notice(s) in all: the lost job and the silence to on-call, the overdue CD to the model's channels")


def _queued(workspace: LocalWorkspace) -> str:
    return str(next(j for j in reversed(workspace.jobs(status="Queued")) if j["purpose"] == "offline_test")["name"])


def main() -> None:  # pragma: no cover - a convenience for `python -m shared.tools.demo_reconcile`
    """Run the scenario in a temporary folder."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder))


if __name__ == "__main__":
    main()
