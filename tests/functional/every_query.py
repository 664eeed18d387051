"""The whole loop once round, through every kind of store read and write: the scenario the query-shape tests of
both stores watch (SQLite's query plans, Table Storage's filters)."""

from __future__ import annotations

from dataclasses import replace

from shared.core.clock import FixedClock
from shared.core.dead_letters import LetterQuery
from shared.core.ledger_pages import LedgerQuery
from shared.engine.reconcile import reconcile
from shared.engine.redrive import redrive
from shared.tools import synthetic
from tests.contract import test_store_guards_contract as guards
from tests.functional.driver import Driver


def go_round(drive: Driver, clock: FixedClock) -> None:
    """Registrations, a verdict, a promotion, a storm, a drift, a bad event, a refused approval, every lookup, the
    ledger and dead-letter pages, a redrive, silences and a budget reset, the sweep, reconcile and a prune."""
    store = drive.reactor.store
    drive.register()
    drive.to_production("1")
    drive.register()
    drive.finish("offline_test", auc=0.5, latency_ms=1)
    for _ in range(3):
        drive.deliver(synthetic.build("run_status_changed", drive.reactor.workspace_id, status="Failed"))
    drive.deliver(synthetic.build("monitor_breach", drive.reactor.workspace_id))
    drive.deliver({"id": "bad", "eventType": "Microsoft.MachineLearningServices.ModelRegistered", "data": {}})
    drive.approve("2")  # refused: not in staging
    store.ledger(event_id="bad")
    store.ledger(model="credit-risk", version="1")
    store.ledger(model="credit-risk")
    store.dead_letters(limit=10)
    store.get_event("bad")
    store.get_event("unknown")
    store.jobs_for("credit-risk", "retrain")
    store.due_approvals("2026-12-31T00:00:00+00:00", 10)
    _letter_pages(drive)
    store.inflight_jobs("offline_test", "9999", ("2000", "a"), 10)  # reconcile's reads
    store.last_event_at()
    store.get_intent("credit-risk", "cd:credit-risk:1:production")
    store.set_mark("reconcile:test", "x")
    store.get_mark("reconcile:test")
    store.claim_status("bad", 0.0)
    store.records("credit-risk", "staging")  # the approval page's list
    _ledger_pages(drive)
    _guards(drive)
    clock.advance(seconds=3600)
    drive.reactor.sweep()
    clock.advance(days=1)
    reconcile(drive.reactor, limit=2)  # asks about the jobs in flight, checks the CD requests
    store.prune("2026-11-23T00:00:00+00:00", apply=True)


def _ledger_pages(drive: Driver) -> None:
    """A model's ledger and a version's, page by page to the end."""
    for version in (None, "1"):
        cursor: str | None = None
        while True:
            page = drive.reactor.store.ledger_page(LedgerQuery("credit-risk", version, limit=2, cursor=cursor))
            if (cursor := page.next) is None:
                break


def _guards(drive: Driver) -> None:
    """A silence set, a notice held by it, the silence ended; a retrain budget reset."""
    store = drive.reactor.store
    silence = guards.silence("sil-1", until=180)
    store.save_silence(silence)
    store.hold("sil-1", "alert:x", "run_failed", "2026-11-22T10:00:00+00:00")
    store.held("sil-1")
    store.silences()
    store.save_silence(replace(silence, ended_at="2026-11-22T11:00:00+00:00", ended_by="sre"))
    store.get_silence("sil-1")
    store.silences(ended=True, limit=10)
    store.reset_budget("credit-risk", "2026-11-22T10:00:00+00:00")
    store.budget_reset("credit-risk")


def _letter_pages(drive: Driver) -> None:
    """Every shape of the dead-letter page: by time, by type, each with and without bounds and a cursor."""
    store = drive.reactor.store
    for event_type in (None, "Microsoft.MachineLearningServices.ModelRegistered"):
        first = store.dead_letter_page(LetterQuery(event_type=event_type, limit=1))
        store.dead_letter_page(LetterQuery(event_type=event_type, limit=1, cursor=first.next, reason="x"))
        store.dead_letter_page(LetterQuery(event_type=event_type, since="2026-01-01T00:00:00+00:00"))
        store.dead_letter_page(LetterQuery(event_type=event_type, until="2027-01-01T00:00:00+00:00", cursor=first.next))
    redrive(drive.reactor, LetterQuery(), dry_run=False)
