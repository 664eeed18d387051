"""The Store contract for `prune`, run against SqliteStore and TableStore (on a real Azurite)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from shared.adapters.store.sqlite import SqliteStore, recovery
from shared.core.state import Claimed, Commit, IntentStatus
from shared.core.store import Store
from shared.engine.retention import prune_expired
from tests.contract import test_store_contract as contract
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import LEASE, NOW, commit, done, finish, intent, job, record

opener, store = contract.opener, contract.store  # the contract's fixtures: each Store on a fresh state

OLD = NOW - timedelta(days=10)
BEFORE = (NOW - timedelta(days=5)).isoformat()


def _old(c: Commit) -> Commit:
    return replace(c, ledger=replace(c.ledger, at=OLD.isoformat()))


def _history(store: Store) -> dict[str, Commit]:
    """Old: a handled event (with an occurrence), a failed one (a notice, a job, a dead letter), a rejected one, and
    one committed but never finished; new: a handled event and a rejected one."""
    handled = _old(commit("old-1", intent("cd:m:1:staging"), records=(record(),), occurrence="run:j0:Completed"))
    failed = _old(commit("old-2", intent("notify:x", model=None), jobs=(job("j1"),), revision=1, version="2"))
    stuck = _old(commit("old-3", intent("cd:m:3:staging"), version="3"))
    new = commit("new-1", intent("cd:m:4:staging"), version="4")
    for c in (handled, failed, stuck):
        store.commit(c, OLD, LEASE)
    store.finish(finish(handled, done(handled.intents[0])))
    store.finish(finish(failed, done(failed.intents[0], IntentStatus.FAILED), outcome="failed", dead="it broke"))
    store.reject("bad-old", "X", {"id": "bad-old"}, "invalid", OLD.isoformat())
    store.commit(new, NOW, LEASE)  # events are recorded in the order they are handled
    store.finish(finish(new, done(new.intents[0])))
    store.reject("bad-new", "X", {"id": "bad-new"}, "invalid", NOW.isoformat())
    return {"handled": handled, "failed": failed, "stuck": stuck, "new": new}


def test_a_dry_run_counts_and_deletes_nothing(store: Store) -> None:
    _history(store)
    expected = {"events": 3, "intents": 2, "dead letters": 2}
    assert store.prune(BEFORE, apply=False) == expected
    assert store.prune(BEFORE, apply=False) == expected
    assert [e.event_id for e in store.ledger(event_id="old-1")] == ["old-1"]
    assert store.get_event("old-1") is not None and store.get_event("bad-old") == {"id": "bad-old"}
    assert len(store.dead_letters()) == 3 and store.is_completed("old-2")


def test_apply_deletes_old_completed_events_and_keeps_the_state(store: Store) -> None:
    _history(store)
    ledger_before = [e.event_id for e in store.ledger(model="m")]
    assert store.prune(BEFORE, apply=True) == {"events": 3, "intents": 2, "dead letters": 2}
    for gone in ("old-1", "old-2", "bad-old"):
        assert store.ledger(event_id=gone) == [] and store.get_event(gone) is None and not store.is_completed(gone)
    assert [e.event_id for e in store.ledger(model="m")] == [e for e in ledger_before if e in ("old-3", "new-1")]
    assert store.ledger(model="m", version="1") == [] and len(store.ledger(model="m", version="4")) == 1
    assert [e.outcome for e in store.ledger(event_id="new-1")] == ["handled"] and store.is_completed("new-1")
    assert store.get_event("new-1") == {"id": "new-1", "n": 1} and store.get_event("bad-new") == {"id": "bad-new"}
    assert [d["event_id"] for d in store.dead_letters()] == ["bad-new"]
    # the state stays: records, subjects, jobs, work not completed
    assert store.get_record("m", "1") is not None and store.subject_revision("m") == 2
    assert store.get_job("j1") is not None and [j.name for j in store.jobs_for("m", "retrain")] == ["j1"]
    assert store.stalled(NOW, 10) == ["old-3"] and store.claim_status("old-3", NOW.timestamp()) is Claimed.STALLED
    adopted = store.adopt("old-3", NOW, LEASE)
    assert adopted is not None and [(i.key, i.status) for i in adopted.intents] == [("cd:m:3:staging", "pending")]
    probe = store.commit(commit("probe", intent("cd:m:4:staging"), intent("cd:m:3:staging")), NOW, LEASE)
    assert probe.taken == {"cd:m:4:staging": "done", "cd:m:3:staging": "pending"} and not probe.pending
    assert store.prune(BEFORE, apply=True) == {"events": 0, "intents": 0, "dead letters": 0}


def test_a_redelivery_of_a_pruned_event_runs_again(store: Store) -> None:
    """Pruning forgets an event: a redelivery (or a twin of its occurrence) is new work, and its effect keys are free
    again. That is why `python -m shared prune` refuses dates within 2 days (Event Grid redelivers for 24 hours)."""
    c = _history(store)
    store.prune(BEFORE, apply=True)
    again = store.commit(replace(c["handled"], records=(), subjects={}), NOW, LEASE)  # decided on today's state
    assert again.claimed is Claimed.COMMITTED and [i.key for i in again.pending] == ["cd:m:1:staging"]
    store.finish(finish(c["handled"], done(again.pending[0])))
    twin = replace(c["failed"], claim_id="twin", occurrence="run:j0:Completed", intents=(), jobs=(), subjects={})
    assert store.commit(twin, NOW, LEASE).claimed is Claimed.DUPLICATE  # the redelivery above took the occurrence


def test_retention_prunes_the_whole_old_history(store: Store) -> None:
    _history(store)
    assert prune_expired(store, NOW, days=5) == {"events": 3, "intents": 2, "dead letters": 2}
    assert store.ledger(event_id="old-1") == [] and store.get_event("bad-old") is None
    assert store.is_completed("new-1") and store.get_event("bad-new") == {"id": "bad-new"}


def test_retention_prunes_what_is_older_than_its_days_once_a_day(store: Store) -> None:
    for name, at in (("old", OLD), ("later", NOW - timedelta(days=4, hours=12)), ("new", NOW)):  # in handling order
        store.reject(f"bad-{name}", "X", {"id": f"bad-{name}"}, "invalid", at.isoformat())
    assert prune_expired(store, NOW, days=5) == {"events": 1, "intents": 0, "dead letters": 1}
    assert store.get_event("bad-old") is None and store.get_event("bad-later") == {"id": "bad-later"}
    assert prune_expired(store, NOW + timedelta(hours=12), days=5) is None  # the same day: done already
    assert prune_expired(store, NOW + timedelta(days=1), days=5) == {"events": 1, "intents": 0, "dead letters": 1}
    assert store.get_event("bad-later") is None and store.get_event("bad-new") == {"id": "bad-new"}


def test_retention_keeps_what_a_redelivery_could_still_bring() -> None:
    with pytest.raises(ValueError, match="at least 2 days"):
        prune_expired(SqliteStore(Path("/nonexistent/never-opened.db")), NOW, days=1)


def test_a_sqlite_prune_goes_through_the_history_in_short_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 3 journal rows: every old completed event goes, whatever batch it falls in; the pending one and
    the new ones stay."""
    monkeypatch.setattr(recovery, "_PRUNE_BATCH", 3)
    store = SqliteStore(tmp_path / "reactor.db")
    _history(store)
    for n in range(8):
        store.reject(f"bad-later-{n}", "X", {"id": n}, "invalid", NOW.isoformat())
    assert store.prune(BEFORE, apply=True) == {"events": 3, "intents": 2, "dead letters": 2}
    assert store.prune(BEFORE, apply=False) == {"events": 0, "intents": 0, "dead letters": 0}
    assert store.stalled(NOW, 10) == ["old-3"] and store.get_event("bad-later-7") == {"id": 7}
