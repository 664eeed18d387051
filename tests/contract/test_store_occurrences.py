"""The Store contract for an occurrence about one of our jobs (its completion, reported twice): run against
SqliteStore and TableStore (on a real Azurite). The engine reads the job by name before it commits; so do these."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.store.table.store import TableStore
from shared.core.errors import TransientError
from shared.core.state import Claimed, Commit, Committed, Conflict
from shared.core.store import Store
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import (
    LATER,
    LEASE,
    NOW,
    commit,
    done,
    finish,
    intent,
    job,
    record,
    together,
)

COMPLETED = "run:j1:completed"


@pytest.fixture(params=["sqlite", "table"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Each Store implementation on a fresh state."""
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "reactor.db")
    connection = request.getfixturevalue("azurite")
    return TableStore.from_connection_string(connection, prefix=f"t{uuid.uuid4().hex[:12]}")


def submitted(store: Store) -> None:
    """Job j1 (an offline test of m:1) submitted by a registration, finished."""
    c = commit("registered", intent("j1"), records=(record(),), jobs=(job("j1", purpose="offline_test"),))
    store.commit(c, NOW, LEASE)
    store.finish(finish(c, done(c.intents[0])))


def verdict(claim_id: str, revision: int = 1) -> Commit:
    closed = replace(job("j1", purpose="offline_test"), status="Completed")
    return commit(
        claim_id,
        intent("cd:m:1:staging:j1"),
        records=(record(revision=revision),),
        jobs=(closed,),
        revision=revision,
        occurrence=COMPLETED,
        event_id=claim_id,
    )


def loaded_then_commit(store: Store, c: Commit, at: datetime = NOW) -> Committed:
    store.get_job("j1")  # what the engine's load reads first
    return store.commit(c, at, LEASE)


def test_a_twin_of_a_job_completion_waits_adopts_when_stalled_and_is_a_duplicate_after(store: Store) -> None:
    submitted(store)
    first = verdict("run-completed")
    assert loaded_then_commit(store, first).claimed is Claimed.COMMITTED
    twin = commit("status-changed", occurrence=COMPLETED, event_id="status-changed")  # sees the job closed: no jobs
    with pytest.raises(TransientError):
        loaded_then_commit(store, twin)
    assert loaded_then_commit(store, twin, LATER) == Committed(claimed=Claimed.STALLED, claim_id="run-completed")
    store.finish(finish(first, done(first.intents[0])))
    assert loaded_then_commit(store, twin, LATER) == Committed(claimed=Claimed.DUPLICATE, claim_id="run-completed")
    assert not store.is_completed("status-changed") and store.get_event("status-changed") is None


def test_a_decision_refused_after_its_occurrence_gives_back_the_occurrence_and_the_job_status(store: Store) -> None:
    submitted(store)
    with pytest.raises(Conflict):
        loaded_then_commit(store, verdict("run-completed", revision=0))  # stale: another decision came first
    got = store.get_job("j1")
    assert got is not None and got.status == "Submitted"  # so the decision taken again still sees it open
    assert loaded_then_commit(store, verdict("run-completed")).claimed is Claimed.COMMITTED
    got = store.get_job("j1")
    assert got is not None and got.status == "Completed"


def test_twins_at_once_let_exactly_one_decide(store: Store) -> None:
    submitted(store)
    results = together(2, lambda i: loaded_then_commit(store, verdict(("run-completed", "status-changed")[i])))
    won = [r for r in results if isinstance(r, Committed) and r.claimed is Claimed.COMMITTED]
    assert len(won) == 1, results
    assert all(isinstance(r, TransientError) for r in results if r not in won), results
    assert store.subject_revision("m") == 2
    loser = "status-changed" if won[0].claim_id == "run-completed" else "run-completed"
    assert store.get_event(loser) is None and not store.is_completed(loser)


def test_a_refused_decision_on_a_failure_report_gives_back_the_job_status(store: Store) -> None:
    submitted(store)
    failed = replace(job("j1", purpose="offline_test"), status="Failed")
    report = commit("run-failed", intent("notify:test_failed:m:1:j1:teams", model=None), jobs=(failed,))
    with pytest.raises(Conflict):  # a failure is reported once (no occurrence); its decision came second
        loaded_then_commit(store, report)
    got = store.get_job("j1")
    assert got is not None and got.status == "Submitted"
    assert loaded_then_commit(store, replace(report, subjects={"m": 1})).claimed is Claimed.COMMITTED
    got = store.get_job("j1")
    assert got is not None and got.status == "Failed"
