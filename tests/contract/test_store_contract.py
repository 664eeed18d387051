"""The Store contract: one set of cases, run against SqliteStore and TableStore (on a real Azurite)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.store.table.store import TableStore
from shared.app.azure import table_store
from shared.core.errors import TransientError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.state import (
    Claimed,
    Commit,
    Committed,
    Conflict,
    Finish,
    Intent,
    IntentStatus,
    JobRef,
    LedgerEntry,
)
from shared.core.store import Store
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
AT = NOW.isoformat()
LEASE = 120
LATER = NOW + timedelta(seconds=LEASE + 1)


@pytest.fixture(params=["sqlite", "table"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """Opens each Store implementation on one fresh state (call again: another instance on the same state)."""
    if request.param == "sqlite":
        return lambda: SqliteStore(tmp_path / "reactor.db")
    connection, prefix = request.getfixturevalue("azurite"), f"t{uuid.uuid4().hex[:12]}"
    return lambda: TableStore.from_connection_string(connection, prefix=prefix)


@pytest.fixture
def store(opener: Callable[[], Store]) -> Store:
    return opener()


def entry(event_id: str, model: str | None = "m", version: str | None = "1", outcome: str = "handled") -> LedgerEntry:
    return LedgerEntry(
        event_id=event_id,
        event_type="ModelRegistered",
        at=AT,
        outcome=outcome,
        model=model,
        version=version,
        detail={"actions": [{"kind": "trigger_cd"}]},
    )


def intent(key: str, model: str | None = "m", window: str | None = None) -> Intent:
    action: dict[str, Any] = (
        {"kind": "trigger_cd", "model": model, "version": "1"}
        if model
        else {"kind": "notify", "channel": "teams", "title": key}
    )
    return Intent(key=key, action=action, window=window)


def record(version: str = "1", stage: Stage = Stage.TESTING, revision: int = 0, model: str = "m") -> ModelVersionRecord:
    return ModelVersionRecord(model=model, version=version, stage=stage, revision=revision, tags={"owner": "ds"})


def job(name: str, at: str = AT, purpose: str = "retrain", model: str = "m", status: str = "Submitted") -> JobRef:
    return JobRef(
        name=name, purpose=purpose, model=model, version=None, event_id=f"e-{name}", submitted_at=at, status=status
    )


def commit(
    claim_id: str,
    *intents: Intent,
    records: tuple[ModelVersionRecord, ...] = (),
    revision: int = 0,
    occurrence: str | None = None,
    jobs: tuple[JobRef, ...] = (),
    model: str | None = "m",
    version: str | None = "1",
    grouped: bool = False,
    event_id: str | None = None,
) -> Commit:
    subjects = {m: revision for m in {r.model for r in records} | {j.model for j in jobs}}
    return Commit(
        claim_id=claim_id,
        occurrence=occurrence,
        raw={"id": event_id or claim_id, "n": 1},
        ledger=entry(event_id or claim_id, model, version, "planned"),
        subjects=subjects,
        records=records,
        jobs=jobs,
        intents=intents,
        grouped=grouped,
    )


def finish(
    c: Commit, *results: Intent, outcome: str = "handled", dead: str | None = None, jobs: tuple[JobRef, ...] = ()
) -> Finish:
    ledger = replace(c.ledger, outcome=outcome)
    return Finish(
        claim_id=c.claim_id,
        occurrence=c.occurrence,
        raw=c.raw,
        ledger=ledger,
        results=results,
        jobs=jobs,
        dead_letter=dead,
    )


def done(i: Intent, status: IntentStatus = IntentStatus.DONE) -> Intent:
    return replace(i, status=status, result={"ref": f"r-{i.key}"})


def together(n: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run fn(i) in n threads at once; each result or the exception it raised."""
    results: list[Any] = [None] * n
    gate = threading.Barrier(n)

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_commit_then_finish_completes(store: Store) -> None:
    cd = intent("cd:m:1:staging")
    c = commit("e1", cd, records=(record(),))
    got = store.commit(c, NOW, LEASE)
    assert got.claimed is Claimed.COMMITTED and got.claim_id == "e1" and not got.done and not got.taken
    assert [(i.key, i.status, i.earlier) for i in got.pending] == [("cd:m:1:staging", IntentStatus.PENDING, 0)]
    assert not store.is_completed("e1") and store.claim_status("e1", NOW.timestamp()) is None
    store.finish(finish(c, done(cd)))
    assert store.is_completed("e1") and store.claim_status("e1", NOW.timestamp()) is Claimed.DUPLICATE
    assert [e.outcome for e in store.ledger(event_id="e1")] == ["handled"]


def test_a_commit_with_nothing_to_do_completes_at_once(store: Store) -> None:
    got = store.commit(commit("e1", records=(record(),)), NOW, LEASE)
    assert got.claimed is Claimed.COMMITTED and got.done and not got.pending
    assert store.is_completed("e1") and store.stalled(LATER, 10) == []
    assert store.commit(commit("e2"), NOW, LEASE).done and store.is_completed("e2")


def test_a_redelivery_after_completion_is_a_duplicate_and_writes_nothing(store: Store) -> None:
    c = commit("e1", intent("cd:m:1:staging"), records=(record(),))
    store.commit(c, NOW, LEASE)
    store.finish(finish(c, done(c.intents[0])))
    again = commit("e1", intent("other"), records=(record(stage=Stage.STAGING, revision=1),), revision=1)
    got = store.commit(again, NOW + timedelta(hours=1), LEASE)
    assert got == Committed(claimed=Claimed.DUPLICATE, claim_id="e1")
    assert store.subject_revision("m") == 1 and store.get_record("m", "1").stage is Stage.TESTING  # type: ignore[union-attr]
    assert len(store.ledger(event_id="e1")) == 1
    assert store.commit(commit("e9", intent("other")), NOW, LEASE).pending[0].key == "other"  # never written


def test_a_twin_waits_while_the_first_is_leased_adopts_it_when_stalled_and_is_a_duplicate_after(store: Store) -> None:
    first = commit("run-completed", intent("cd:m:1"), records=(record(),), occurrence="run:j1:Completed")
    store.commit(first, NOW, LEASE)
    twin = replace(first, claim_id="status-changed", raw={"id": "status-changed"})
    with pytest.raises(TransientError):
        store.commit(twin, NOW + timedelta(seconds=5), LEASE)
    assert store.commit(twin, LATER, LEASE) == Committed(claimed=Claimed.STALLED, claim_id="run-completed")
    store.finish(finish(first, done(first.intents[0])))
    assert store.commit(twin, LATER, LEASE) == Committed(claimed=Claimed.DUPLICATE, claim_id="run-completed")
    assert not store.is_completed("status-changed") and store.get_event("status-changed") is None


def test_concurrent_commits_of_one_event_let_exactly_one_commit(store: Store) -> None:
    c = commit("race", intent("cd:m:1"), records=(record(),))
    results = together(6, lambda _: store.commit(c, NOW, LEASE))
    committed = [r for r in results if isinstance(r, Committed) and r.claimed is Claimed.COMMITTED]
    assert len(committed) == 1, results
    assert all(isinstance(r, TransientError) or r.claimed is Claimed.DUPLICATE for r in results if r not in committed)
    assert store.subject_revision("m") == 1


@pytest.mark.parametrize("threads", [False, True])
def test_two_events_deciding_on_one_subject_one_commits_the_other_conflicts(store: Store, threads: bool) -> None:
    approve = commit("approve", intent("cd:m:1:production"), records=(record(stage=Stage.APPROVED),))
    reject = commit(
        "reject",
        intent("notify:rejected", model=None),
        records=(record(stage=Stage.REJECTED),),
        jobs=(job("j-reject"),),
    )
    if threads:
        results = together(2, lambda i: store.commit((approve, reject)[i], NOW, LEASE))
    else:
        results = [store.commit(approve, NOW, LEASE)]
        with pytest.raises(Conflict):
            store.commit(reject, NOW, LEASE)
        results.append(Conflict("raised"))
    won = [r for r in results if isinstance(r, Committed)]
    assert len(won) == 1 and won[0].claimed is Claimed.COMMITTED, results
    assert sum(isinstance(r, Conflict) for r in results) == 1
    loser = reject if won[0].claim_id == "approve" else approve
    winner = approve if loser is reject else reject
    assert store.get_record("m", "1").stage is winner.records[0].stage  # type: ignore[union-attr]
    assert store.claim_status(loser.claim_id, LATER.timestamp()) is None and store.get_event(loser.claim_id) is None
    assert store.ledger(event_id=loser.claim_id) == [] and store.stalled(LATER, 10) == [winner.claim_id]
    assert (store.get_job("j-reject") is None) is (loser is reject)
    probe = store.commit(commit("probe", *loser.intents), NOW, LEASE)
    assert [i.key for i in probe.pending] == [loser.intents[0].key] and not probe.taken
    retried = store.commit(
        replace(loser, subjects={"m": 1}, records=(replace(loser.records[0], revision=1),)), NOW, LEASE
    )
    assert retried.claimed is Claimed.COMMITTED and store.subject_revision("m") == 2


def test_records_written_by_a_commit_are_read_back(store: Store) -> None:
    store.commit(commit("e1", records=(record("1", Stage.STAGING), record("2", Stage.PRODUCTION))), NOW, LEASE)
    store.commit(commit("e3", records=(record("1", model="other"),)), NOW, LEASE)
    got = store.get_record("m", "1")
    assert got is not None and got.stage is Stage.STAGING and got.revision == 1 and got.tags == {"owner": "ds"}
    assert sorted(r.version for r in store.records("m")) == ["1", "2"]
    assert [r.version for r in store.records("m", "production")] == ["2"]
    moved = replace(got, stage=Stage.PRODUCTION, history=({"to": "production"},))
    store.commit(commit("e2", records=(moved,), revision=1), NOW, LEASE)
    assert sorted(r.version for r in store.records("m", "production")) == ["1", "2"]
    again = store.get_record("m", "1")
    assert again is not None and again.revision == 2 and again.history == ({"to": "production"},)
    assert store.records("m", "staging") == [] and store.records("none") == [] and store.get_record("m", "9") is None


def test_a_stale_record_revision_is_a_conflict(store: Store) -> None:
    store.commit(commit("e1", records=(record(),)), NOW, LEASE)
    with pytest.raises(Conflict):
        store.commit(commit("e2", records=(record(),), revision=1), NOW, LEASE)  # the record it read: none
    assert store.get_record("m", "1").revision == 1 and not store.is_completed("e2")  # type: ignore[union-attr]


def test_intent_keys_are_unique_a_second_commit_gets_them_as_taken(store: Store) -> None:
    key = intent("cd:m:1:staging")
    first = commit("e1", key, records=(record(),))
    store.commit(first, NOW, LEASE)
    second = store.commit(commit("e2", key, intent("notify:x", model=None)), NOW, LEASE)
    assert second.taken == {"cd:m:1:staging": IntentStatus.PENDING} and [i.key for i in second.pending] == ["notify:x"]
    store.finish(finish(first, done(key, IntentStatus.FAILED)))
    third = store.commit(commit("e3", key), NOW, LEASE)
    assert third.taken == {"cd:m:1:staging": IntentStatus.FAILED} and not third.pending and not third.done


def test_release_keeps_results_and_adopt_takes_over_at_once(store: Store) -> None:
    a, b = intent("tag:m:1"), intent("cd:m:1")
    c = commit("e1", a, b, records=(record(),))
    store.commit(c, NOW, LEASE)
    store.release("e1", (done(a),))
    adopted = store.adopt("e1", NOW, LEASE)
    assert adopted is not None and adopted.claim_id == "e1" and adopted.raw == c.raw and adopted.occurrence is None
    assert adopted.ledger == c.ledger
    assert sorted((i.key, i.status, dict(i.result)) for i in adopted.intents) == [
        ("cd:m:1", IntentStatus.PENDING, {}),
        ("tag:m:1", IntentStatus.DONE, {"ref": "r-tag:m:1"}),
    ]
    assert {i.key: i.action for i in adopted.intents}["cd:m:1"] == b.action
    assert adopted.interrupted is False  # released cleanly: nothing was under way
    assert store.adopt("e1", NOW + timedelta(seconds=1), LEASE) is None


def test_adopt_only_a_claim_whose_lease_ran_out_and_only_once(store: Store) -> None:
    k = intent("cd:m:1")
    store.commit(commit("e1", k, records=(record(),)), NOW, LEASE)
    store.commit(commit("e2", k), NOW, LEASE)  # holds nothing of its own
    assert store.adopt("e1", NOW + timedelta(seconds=5), LEASE) is None
    assert store.claim_status("e1", LATER.timestamp()) is Claimed.STALLED
    adopted = store.adopt("e1", LATER, LEASE)
    assert adopted is not None and [i.key for i in adopted.intents] == ["cd:m:1"]
    assert adopted.interrupted is True  # its lease ran out: the first open intent may have been under way
    assert store.adopt("e1", LATER, LEASE) is None
    other = store.adopt("e2", LATER, LEASE)
    assert other is not None and other.intents == ()
    assert store.adopt("nope", LATER, LEASE) is None


def test_stalled_lists_committed_claims_not_done_whose_lease_ran_out_oldest_first(store: Store) -> None:
    for n, claim in enumerate(["c0", "c1", "c2", "c3"]):
        store.commit(commit(claim, intent(f"k{n}")), NOW + timedelta(seconds=10 * n), LEASE)
    store.commit(commit("nothing"), NOW, LEASE)
    c1 = commit("c1", intent("k1"))
    store.finish(finish(c1, done(c1.intents[0])))
    assert store.stalled(NOW + timedelta(seconds=LEASE + 15), 10) == ["c0"]
    assert store.stalled(NOW + timedelta(hours=1), 10) == ["c0", "c2", "c3"]
    assert store.stalled(NOW + timedelta(hours=1), 2) == ["c0", "c2"]
    store.release("c3")
    assert store.stalled(NOW, 10) == ["c3"]


def test_finish_writes_results_jobs_dead_letter_and_ledger(store: Store) -> None:
    a, b = intent("job-1"), intent("notify:x", model=None)
    c = commit("e1", a, b, records=(record(),), jobs=(job("job-1"),))
    store.commit(c, NOW, LEASE)
    assert store.get_job("job-1") == job("job-1")
    store.finish(
        finish(
            c,
            done(a),
            done(b, IntentStatus.UNCONFIRMED),
            outcome="failed",
            dead="CD did not answer",
            jobs=(job("job-1", status="Completed"),),
        )
    )
    assert store.commit(commit("e2", a, b), NOW, LEASE).taken == {"job-1": "done", "notify:x": "unconfirmed"}
    assert store.get_job("job-1").status == "Completed"  # type: ignore[union-attr]
    assert [j.status for j in store.jobs_for("m", "retrain")] == ["Completed"]
    letters = store.dead_letters()
    assert letters == [{"event_id": "e1", "at": AT, "reason": "CD did not answer", "raw": {"id": "e1", "n": 1}}]
    assert [e.outcome for e in store.ledger(event_id="e1")] == ["failed"]
    assert [e.event_id for e in store.ledger(model="m")] == ["e1", "e2"]
    assert [e.event_id for e in store.ledger(model="m", version="1")] == ["e1", "e2"]
    assert store.ledger(model="m", version="2") == [] and store.ledger(event_id="none") == []
    assert store.ledger(event_id="e1")[0] == replace(c.ledger, outcome="failed")


def test_dead_letters_newest_first_and_limited(store: Store) -> None:
    for n in range(3):
        store.reject(f"bad-{n}", "X", {"id": f"bad-{n}"}, f"reason {n}", AT)
    c = commit("e1", intent("cd:m:1"))
    store.commit(c, NOW, LEASE)
    store.finish(finish(c, outcome="failed", dead="it broke"))
    assert [d["event_id"] for d in store.dead_letters()] == ["e1", "bad-2", "bad-1", "bad-0"]
    assert [d["event_id"] for d in store.dead_letters(limit=2)] == ["e1", "bad-2"]


def test_reject_keeps_a_dead_letter_and_a_ledger_entry_and_the_raw_event(store: Store) -> None:
    store.reject("bad-1", "Odd", {"id": "bad-1", "n": 1}, "invalid event", AT)
    assert store.dead_letters() == [
        {"event_id": "bad-1", "at": AT, "reason": "invalid event", "raw": {"id": "bad-1", "n": 1}}
    ]
    assert store.ledger(event_id="bad-1") == [
        LedgerEntry(event_id="bad-1", event_type="Odd", at=AT, outcome="rejected", detail={"error": "invalid event"})
    ]
    assert store.get_event("bad-1") == {"id": "bad-1", "n": 1} and not store.is_completed("bad-1")
    store.reject("bad-1", "Odd", {"id": "bad-1", "n": 2}, "still invalid", AT)
    assert store.get_event("bad-1") == {"id": "bad-1", "n": 2} and len(store.ledger(event_id="bad-1")) == 2
    c = commit("bad-1", intent("cd:m:1"), records=(record(),))
    assert store.commit(c, NOW, LEASE).claimed is Claimed.COMMITTED  # replayable by id once fixed


def test_get_event_of_a_handled_event_and_of_an_unknown_one(store: Store) -> None:
    store.commit(commit("e1", records=(record(),)), NOW, LEASE)
    assert store.get_event("e1") == {"id": "e1", "n": 1}
    assert store.get_event("e") is None and store.get_event("e10") is None


def _alert(claim: str, window: str) -> Commit:
    return commit(claim, intent(f"alert:teams:exp:{window}", model=None, window="teams:exp"), model=None, version=None)


def test_a_window_is_sent_once_and_the_next_counts_what_was_grouped(opener: Callable[[], Store]) -> None:
    store = opener()
    first = store.commit(_alert("a0", "09:00"), NOW, LEASE)
    assert [(i.key, i.earlier) for i in first.pending] == [("alert:teams:exp:09:00", 0)]
    for n in range(1, 4):
        got = store.commit(_alert(f"a{n}", "09:00"), NOW, LEASE)
        assert got.taken == {"alert:teams:exp:09:00": IntentStatus.PENDING} and not got.pending
        store.finish(finish(_alert(f"a{n}", "09:00")))
    other = opener()  # another process: what was grouped is flushed by a finish
    nxt = other.commit(_alert("b0", "09:15"), NOW, LEASE)
    assert [(i.key, i.earlier) for i in nxt.pending] == [("alert:teams:exp:09:15", 3)]
    assert [i.earlier for i in store.commit(_alert("c0", "09:30"), NOW, LEASE).pending] == [0]


def test_the_grouped_fast_path_records_a_completed_claim(store: Store) -> None:
    store.commit(_alert("a0", "09:00"), NOW, LEASE)
    fast = replace(_alert("a1", "09:00"), grouped=True)
    got = store.commit(fast, NOW, LEASE)
    assert got == Committed(
        claimed=Claimed.COMMITTED, claim_id="a1", taken={"alert:teams:exp:09:00": "done"}, done=True
    )
    assert store.is_completed("a1") and store.get_event("a1") == {"id": "a1", "n": 1}
    assert [e.outcome for e in store.ledger(event_id="a1")] == ["planned"]
    assert store.commit(fast, NOW, LEASE).claimed is Claimed.DUPLICATE
    assert store.stalled(LATER, 10) == ["a0"]


def test_claim_status(store: Store) -> None:
    assert store.claim_status("e1", NOW.timestamp()) is None
    c = commit("e1", intent("cd:m:1"), records=(record(),))
    store.commit(c, NOW, LEASE)
    assert store.claim_status("e1", NOW.timestamp() + 1) is None
    assert store.claim_status("e1", LATER.timestamp()) is Claimed.STALLED
    store.finish(finish(c))
    assert store.claim_status("e1", LATER.timestamp()) is Claimed.DUPLICATE


def test_subject_revision_counts_commits_that_wrote_records_or_jobs(store: Store) -> None:
    assert store.subject_revision("m") == 0
    store.commit(commit("e1", records=(record(),)), NOW, LEASE)
    store.commit(commit("e2", jobs=(job("j1"),), revision=1), NOW, LEASE)
    assert store.subject_revision("m") == 2
    store.commit(commit("e3", intent("cd:m:1")), NOW, LEASE)
    assert store.subject_revision("m") == 2 and store.subject_revision("other") == 0


def test_jobs_for_a_model_and_purpose_newest_first(store: Store) -> None:
    jobs = (
        job("a", "2026-11-22T08:00:00+00:00"),
        job("b", "2026-11-22T10:00:00+00:00"),
        job("c", "2026-11-22T09:00:00+00:00"),
        job("t", "2026-11-22T11:00:00+00:00", purpose="offline_test"),
    )
    store.commit(commit("e1", jobs=jobs), NOW, LEASE)
    store.commit(commit("e2", jobs=(job("x", model="other"),)), NOW, LEASE)
    assert [j.name for j in store.jobs_for("m", "retrain")] == ["b", "c", "a"]
    assert [j.name for j in store.jobs_for("m", "retrain", limit=2)] == ["b", "c"]
    assert store.get_job("t") == jobs[3] and store.get_job("nope") is None


def test_ids_with_characters_table_keys_forbid(store: Store) -> None:
    odd, model = "evt/1#force:abc?x\\y%", "m/1#?\\"
    k = intent("cd:m/1#?\\:1?x:staging", model=model)
    c = commit(
        odd, k, records=(record("1?x", model=model),), occurrence="occ/1#", event_id="evt/1", version="1?x", model=model
    )
    assert store.commit(c, NOW, LEASE).pending[0].key == k.key
    store.finish(finish(c, done(k)))
    assert store.is_completed(odd) and not store.is_completed("evt/1") and not store.is_completed("evt")
    assert store.get_record(model, "1?x") is not None and store.subject_revision(model) == 1
    assert [e.event_id for e in store.ledger(event_id="evt/1")] == ["evt/1"]
    assert [e.version for e in store.ledger(model=model, version="1?x")] == ["1?x"]
    assert store.commit(replace(c, claim_id="evt/2"), NOW, LEASE).claimed is Claimed.DUPLICATE  # the occurrence
    store.reject("evt/1", "X", {"id": "evt/1"}, "bad", AT)
    assert store.get_event("evt/1") == {"id": "evt/1"}


def test_large_payloads_round_trip(store: Store) -> None:
    raw = {"id": "big", "data": {"runProperties": {f"k{i}": "é" * 100 + str(i) for i in range(1500)}}}
    c = replace(commit("big", intent("cd:m:1"), records=(record(),)), raw=raw)
    store.commit(c, NOW, LEASE)
    store.finish(finish(c, dead="x" * 20_000))
    assert store.get_event("big") == raw and store.dead_letters()[0]["raw"] == raw
    store.reject("big2", "X", raw, "bad", AT)
    assert store.get_event("big2") == raw


def test_table_store_truncates_a_body_over_the_entity_limit_and_says_so(azurite: str) -> None:  # noqa: F811
    store = TableStore.from_connection_string(azurite, prefix=f"t{uuid.uuid4().hex[:12]}")
    c = replace(commit("huge", records=(record(),)), raw={"id": "huge", "blob": "x" * 600_000})
    store.commit(c, NOW, LEASE)
    kept = store.get_event("huge")
    assert kept is not None and kept["_truncated"] is True and "exceed" in kept["_note"]
    assert kept["_head"].startswith('{"id": "huge"')


def test_table_store_settings_pick_the_connection(azurite: str) -> None:  # noqa: F811
    from shared.app.settings import Settings

    store = table_store(Settings.from_env({"REACTOR_STORAGE_CONNECTION": azurite, "REACTOR_TABLE_PREFIX": "cfg"}))
    assert store.prefix == "cfg" and store.account == "devstoreaccount1"
    dev = table_store(Settings.from_env({"AzureWebJobsStorage": "UseDevelopmentStorage=true"}))
    assert dev.service.url.startswith("http://127.0.0.1:10002")
    with pytest.raises(ValueError, match="REACTOR_STORAGE_CONNECTION"):
        table_store(Settings.from_env({}))


def test_sqlite_store_refuses_state_of_another_schema(tmp_path: Path) -> None:
    import sqlite3

    from shared.core.errors import PermanentError

    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE claims (event_id TEXT PRIMARY KEY)")
    old.commit()
    with pytest.raises(PermanentError, match="another version"):
        SqliteStore(tmp_path / "old.db")
    SqliteStore(tmp_path / "new.db")
    assert SqliteStore(tmp_path / "new.db").records("m") == []
