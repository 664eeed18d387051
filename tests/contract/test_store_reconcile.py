"""The Store contract for reconcile's reads: in-flight jobs, the newest event received, intents, bookmarks.

Run against SqliteStore and TableStore (on a real Azurite), like test_store_contract.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.store.table.store import TableStore
from shared.core.state import Conflict, IntentStatus
from shared.core.store import Store
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import AT, LEASE, NOW, commit, done, entry, finish, intent, job, record


@pytest.fixture(params=["sqlite", "table"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Each Store implementation on a fresh state."""
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "reactor.db")
    connection = request.getfixturevalue("azurite")
    return TableStore.from_connection_string(connection, prefix=f"t{uuid.uuid4().hex[:12]}")


def at(minutes: int) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


def test_inflight_jobs_are_open_jobs_of_a_purpose_before_a_time_oldest_first_after_a_cursor(store: Store) -> None:
    jobs = [job(f"j{n}", at=at(n), purpose="offline_test", model=f"m{n}") for n in range(5)]
    jobs.append(job("r0", at=at(0), purpose="retrain"))
    for n, j in enumerate(jobs):
        store.commit(commit(f"e{n}", jobs=(j,), model=j.model), NOW, LEASE)
    names = [j.name for j in store.inflight_jobs("offline_test", at(4), None, 10)]
    assert names == ["j0", "j1", "j2", "j3"]  # submitted before minute 4, oldest first; the retrain is not one
    page = store.inflight_jobs("offline_test", at(4), None, 2)
    assert [j.name for j in page] == ["j0", "j1"]
    rest = store.inflight_jobs("offline_test", at(4), (page[-1].submitted_at, page[-1].name), 2)
    assert [j.name for j in rest] == ["j2", "j3"]
    assert store.inflight_jobs("offline_test", at(4), (rest[-1].submitted_at, rest[-1].name), 2) == []
    assert [j.name for j in store.inflight_jobs("retrain", at(9), None, 10)] == ["r0"]


def test_a_job_with_a_final_status_leaves_the_inflight_jobs(store: Store) -> None:
    first, second = job("j1", purpose="offline_test"), job("j2", at=at(1), purpose="offline_test")
    c = commit("e1", jobs=(first, second))
    store.commit(c, NOW, LEASE)
    store.finish(finish(c))
    later = commit("e2", jobs=(replace(first, status="Lost"),), revision=1)
    store.commit(later, NOW, LEASE)
    assert [j.name for j in store.inflight_jobs("offline_test", at(9), None, 10)] == ["j2"]
    c3 = commit("e3", revision=2)
    store.commit(c3, NOW, LEASE)
    store.finish(finish(c3, jobs=(replace(second, status="Completed"),)))  # a status reported at finish
    assert store.inflight_jobs("offline_test", at(9), None, 10) == []
    got = store.get_job("j2")
    assert got is not None and got.status == "Completed"


def test_last_event_at_is_the_newest_event_from_the_workspace_not_our_own(store: Store) -> None:
    assert store.last_event_at() is None
    store.commit(commit("e1"), NOW, LEASE)
    assert store.last_event_at() == AT
    own = replace(entry("internal-1"), event_type="MLOpsReactor.ReconcileFinding", at=at(30))
    ours = replace(commit("internal-1"), ledger=own)
    store.commit(ours, NOW + timedelta(minutes=30), LEASE)
    assert store.last_event_at() == AT  # our own findings are not news from the workspace
    later = commit("e2")
    later = replace(later, ledger=replace(later.ledger, at=at(5)))
    store.commit(later, NOW + timedelta(minutes=5), LEASE)
    assert store.last_event_at() == at(5)
    store.reject("bad-1", "Microsoft.MachineLearningServices.RunCompleted", {"id": "bad-1"}, "bad", at(10))
    assert store.last_event_at() == at(10)  # a refused event still arrived


def test_get_intent_reads_a_cd_request_with_its_result(store: Store) -> None:
    cd = intent("cd:m:1:staging:test-1")
    c = commit("e1", cd, records=(record(),))
    store.commit(c, NOW, LEASE)
    pending = store.get_intent("m", cd.key)
    assert pending is not None and pending.status is IntentStatus.PENDING
    store.finish(finish(c, done(cd)))
    found = store.get_intent("m", cd.key)
    assert found is not None and found.status is IntentStatus.DONE and found.result == {"ref": f"r-{cd.key}"}
    assert store.get_intent("m", "cd:m:9:staging:none") is None


def test_marks_are_set_and_read_back(store: Store) -> None:
    assert store.get_mark("reconcile:offline_test") is None
    store.set_mark("reconcile:offline_test", "2026-11-22T09:00:00+00:00|j1")
    store.set_mark("reconcile:offline_test", "2026-11-22T09:05:00+00:00|j:2")
    assert store.get_mark("reconcile:offline_test") == "2026-11-22T09:05:00+00:00|j:2"


def test_a_commit_that_conflicts_leaves_no_inflight_job(store: Store) -> None:
    with pytest.raises(Conflict):
        store.commit(commit("e1", jobs=(job("j1", purpose="offline_test"),), revision=5), NOW, LEASE)
    assert store.inflight_jobs("offline_test", at(9), None, 10) == []
    assert store.get_job("j1") is None
