"""Guardrails demo: a silence holds a storm back and its end says what it held; a retrain budget stops a loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from shared.adapters.notify.outbox import OutboxNotifier
from shared.app import bootstrap
from shared.core.actions import Notify
from shared.core.clock import FixedClock
from shared.core.policy import parse_policy
from shared.engine.reactor import Reactor
from shared.engine.silences import expire_silences
from shared.tools import synthetic
from shared.web import silences_api

STORM = 200


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """Tell the story on a fresh in-process local app (its clock moved by the story)."""
    clock = FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    reactor = bootstrap.local(state_dir, clock=clock)
    reactor.active_silences.ttl = 0  # the story moves a fake clock; a real process rereads every few seconds
    outbox = reactor.notifier
    assert isinstance(outbox, OutboxNotifier)
    _silence_story(reactor, clock, outbox, out)
    _budget_story(reactor, clock, outbox, out)


def _silence_story(reactor: Reactor, clock: FixedClock, outbox: OutboxNotifier, out: Callable[[str], None]) -> None:
    body = b'{"scope": "experiment", "match": "nightly-*", "hours": 1, "by": "sre@contoso", "why": "ETL maintenance"}'
    status, answer = silences_api.create_silence(reactor, body, None)
    out(f"silence set ({status}): experiment nightly-* for 1 h by sre@contoso, id {answer['silence']}")
    ws = reactor.workspace_id
    for i in range(STORM):
        reactor.handle(
            synthetic.build("run_status_changed", ws, status="Failed", experiment="nightly-etl", run_id=f"n{i}")
        )
    out(f"storm: {STORM} failed runs in nightly-etl -> {len(_sent(outbox, 'run_failed'))} on-call notices sent")
    reactor.handle(synthetic.build("run_status_changed", ws, status="Failed", experiment="training-prod", run_id="t1"))
    out(f"one failed run in training-prod (not silenced) -> {len(_sent(outbox, 'run_failed'))} notice sent")
    clock.advance(hours=1)
    ended = expire_silences(reactor, clock.now())
    [notice] = _sent(outbox, "silence_expired")
    out(f"an hour later the timer ends {len(ended)} silence: [{notice.channel}] {notice.title}")


def _budget_story(reactor: Reactor, clock: FixedClock, outbox: OutboxNotifier, out: Callable[[str], None]) -> None:
    document = reactor.policy.model_dump(mode="json")
    document["drift"]["cooldown_minutes"] = 0
    document["drift"]["rules"][0]["retrain_budget"] = {"max": 2, "window_hours": 24}
    reactor = replace(reactor, policy=parse_policy(document))  # as a restarted app reads its new policy
    reactor.active_silences.ttl = 0
    out("policy: credit-risk may retrain at most 2 times in 24 h (drift.rules[].retrain_budget)")
    retrains = 0
    for n in range(4):
        clock.advance(minutes=30)
        retrains += _drift(reactor, f"mon-{n}")
    out(f"4 drift breaches -> {retrains} retrains, {len(_sent(outbox, 'retrain_budget'))} page to the owners")
    body = b'{"by": "ml-lead@contoso", "why": "label pipeline fixed"}'
    status, _ = silences_api.reset_budget(reactor, "credit-risk", body, None)
    clock.advance(minutes=1)
    out(f"ml-lead resets the budget ({status}); the next breach retrains: {_drift(reactor, 'mon-9') == 1}")


def _drift(reactor: Reactor, run_id: str) -> int:
    outcome = reactor.handle(synthetic.build("monitor_breach", reactor.workspace_id, run_id=run_id))
    jobs = [a for a in outcome.actions if a["kind"] == "submit_job"]
    for job in jobs:  # the retrain finishes, so the next breach is not "in flight"
        for event in reactor.workspace.complete_job(job["job_name"], "Completed", {}):  # type: ignore[attr-defined]
            reactor.handle(event)
    return len(jobs)


def _sent(outbox: OutboxNotifier, template: str) -> list[Notify]:
    return [n for n in outbox.sent() if n.template == template]


def main() -> None:
    """Run the story in a temporary folder."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run(Path(folder) / "state")


if __name__ == "__main__":
    main()
