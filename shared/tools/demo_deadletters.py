"""Demo scenario "nothing lost": the app's own dead letters and Event Grid's, listed, classified and redriven once."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from shared.adapters.deadletter.folder import FolderLetters
from shared.app import bootstrap
from shared.core.config_check import Problem
from shared.core.dead_letters import LetterQuery
from shared.core.eventgrid_letters import time_prefix
from shared.engine.eventgrid_redrive import redrive_blobs, survey
from shared.engine.reactor import Reactor
from shared.engine.redrive import redrive
from shared.tools import synthetic

MODEL = "credit-risk"
SUBSCRIPTION = "MLOPS-REACTOR-MODELS"
BROKEN = (Problem(path="cd_targets.staging.kind", reason="a kind this mode cannot run"),)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing"


def _letters(reactor: Reactor, out: Callable[[str], None]) -> None:
    for x in reactor.store.dead_letter_page(LetterQuery()).letters:
        out(f"    {x['event_id']:<14} {x['status']:<10} {x['reason'][:80]}")


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """Tell the story on a fresh local app in `state_dir`."""
    broken = bootstrap.local(state_dir, problems=BROKEN)
    out("1. A misconfigured app keeps every event as a dead letter (acknowledged: Event Grid would not retry).")
    for version in ("1", "2"):
        event = synthetic.build("model_registered", broken.workspace_id, model=MODEL, version=version)
        event["id"] = f"registered-{version}"
        broken.handle(event)
    fixed = bootstrap.local(state_dir)
    stranger = synthetic.build("model_registered", fixed.workspace_id.replace("local-ws", "other-ws"))
    stranger["id"] = "foreign-1"
    fixed.handle(stranger)
    out("   The configuration is fixed. The dead letters, newest first (GET /api/deadletters):")
    _letters(fixed, out)

    out("2. Redrive what matches (POST /api/deadletters/redrive): a dry run first, then for real, then again.")
    misconfigured = LetterQuery(reason="misconfigured")
    out(f"   dry run (all): {_counts(redrive(fixed, LetterQuery()).counts())}; jobs submitted: {len(_jobs(fixed))}")
    applied = redrive(fixed, misconfigured, dry_run=False).counts()
    out(f"   --apply --reason misconfigured: {_counts(applied)}; jobs: {len(_jobs(fixed))}")
    again = redrive(fixed, LetterQuery(), dry_run=False).counts()
    out(f"   --apply (all, again): {_counts(again)}; jobs: {len(_jobs(fixed))}")
    out("   Still open (?status=open): the event from another workspace, whose new refusal supersedes the first.")
    for x in fixed.store.dead_letter_page(LetterQuery(status="open")).letters:
        out(f"    {x['event_id']:<14} {x['status']:<10} {x['reason'][:80]}")

    out("3. Event Grid gave up on a delivery (the app answered 403 while stopped) and wrote it to its container.")
    container = FolderLetters(state_dir / "eventgrid-deadletter")
    lost = synthetic.build("model_registered", fixed.workspace_id, model=MODEL, version="3")
    lost["id"] = "registered-3"
    given_up = lost | {
        "deadLetterReason": "MaxDeliveryAttemptsExceeded",
        "deliveryAttempts": 1,
        "lastDeliveryOutcome": "Forbidden",
        "publishTime": lost["eventTime"],
        "lastDeliveryAttemptTime": lost["eventTime"],
    }
    container.write(
        f"{SUBSCRIPTION}/2026/12/3/7/0b7c5f6e-1d2a-4f51-9a43-5d0e3f8c2b11.json", json.dumps([given_up]).encode()
    )
    prefix = time_prefix(SUBSCRIPTION, "2026-12-03")
    found = survey(container, prefix, limit=20)
    for blob in found["blobs"]:
        out(f"    {blob['blob']}: " + ", ".join(f"{e['id']} {e['reason']}/{e['last_outcome']}" for e in blob["events"]))
    for label, dry in (("dry run", True), ("--apply", False), ("again", False)):
        report = redrive_blobs(fixed, container, prefix, limit=20, dry_run=dry)
        out(f"   {label + ':':<9}{_counts(report['counts'])}; jobs: {len(_jobs(fixed))}")
    report = redrive_blobs(fixed, container, prefix, limit=20, dry_run=False, again=True)
    out(f"   --again: {_counts(report['counts'])} (the event id makes a redrive idempotent)")
    stage = fixed.store.get_record(MODEL, "3")
    out(f"   {MODEL}:3 is now {stage.stage if stage else 'unknown'}: nothing Event Grid gave up on is lost.")


def _jobs(reactor: Reactor) -> list[object]:
    return list(getattr(reactor.workspace, "jobs", list)())
