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

from shared.adapters.store.sqlite import ConcurrencyConflict, SqliteStore
from shared.adapters.store.table.store import TableStore
from shared.core.errors import TransientError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.ports import Completion, JobRef, LedgerEntry, Store
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
LEASE = 120


@pytest.fixture(params=["sqlite", "table"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """Each Store implementation, empty."""
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "reactor.db")
    connection = request.getfixturevalue("azurite")
    return TableStore.from_connection_string(connection, prefix=f"t{uuid.uuid4().hex[:12]}")


def together(n: int, fn: Callable[[], Any]) -> list[Any]:
    """Run fn in n threads at once; each result or the exception it raised."""
    results: list[Any] = [None] * n
    gate = threading.Barrier(n)

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = fn()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_claim_complete_then_a_redelivery_is_a_duplicate(store: Store) -> None:
    assert store.claim("evt-1", None, NOW, LEASE) is True
    assert store.is_completed("evt-1") is False
    store.complete("evt-1", None, "handled")
    assert store.is_completed("evt-1") is True
    assert store.claim("evt-1", None, NOW + timedelta(hours=1), LEASE) is False


def test_a_lease_held_elsewhere_is_transient_until_it_expires(store: Store) -> None:
    assert store.claim("evt-1", None, NOW, LEASE)
    with pytest.raises(TransientError, match="elsewhere"):
        store.claim("evt-1", None, NOW + timedelta(seconds=10), LEASE)
    assert store.claim("evt-1", None, NOW + timedelta(seconds=LEASE + 1), LEASE) is True


def test_release_then_the_redelivery_claims_again(store: Store) -> None:
    assert store.claim("evt-1", None, NOW, LEASE)
    store.release("evt-1")
    assert store.claim("evt-1", None, NOW, LEASE) is True


def test_concurrent_claims_of_one_event_let_exactly_one_run(store: Store) -> None:
    results = together(6, lambda: store.claim("evt-race", None, NOW, LEASE))
    assert results.count(True) == 1
    assert all(isinstance(r, TransientError) for r in results if r is not True)


def test_one_occurrence_under_two_event_ids_runs_once(store: Store) -> None:
    occurrence = "run:job-1:Completed"
    assert store.claim("evt-completed", occurrence, NOW, LEASE)
    store.complete("evt-completed", occurrence, "handled")
    assert store.claim("evt-status-changed", occurrence, NOW, LEASE) is False


def test_an_occurrence_in_flight_under_another_event_id_is_transient(store: Store) -> None:
    occurrence = "run:job-1:Completed"
    assert store.claim("evt-completed", occurrence, NOW, LEASE)
    with pytest.raises(TransientError):
        store.claim("evt-status-changed", occurrence, NOW + timedelta(seconds=5), LEASE)
    store.release("evt-completed", occurrence)
    assert store.claim("evt-status-changed", occurrence, NOW + timedelta(seconds=6), LEASE) is True
    store.complete("evt-status-changed", occurrence, "handled")
    assert store.claim("evt-completed", occurrence, NOW + timedelta(seconds=7), LEASE) is False


def test_ids_with_characters_table_keys_forbid(store: Store) -> None:
    odd = "evt/1#force:abc?x\\y%"
    assert store.claim(odd, "occ/1#", NOW, LEASE)
    store.complete(odd, "occ/1#", "handled")
    assert store.is_completed(odd) and not store.is_completed("evt")
    store.save_event(odd, {"id": odd})
    assert store.get_event(odd) == {"id": odd}


def test_record_create_then_optimistic_conflict(store: Store) -> None:
    fresh = ModelVersionRecord(model="credit-risk", version="7", tags={"owner": "ds"})
    saved = store.save_record(fresh)
    assert saved.revision == 1
    with pytest.raises(ConcurrencyConflict):
        store.save_record(fresh)  # a second writer that also saw "no record"
    moved = store.save_record(ModelVersionRecord(**{**saved.__dict__, "stage": Stage.TESTING,
                                                    "history": ({"to": "testing"},)}))
    assert moved.revision == 2
    with pytest.raises(ConcurrencyConflict):
        store.save_record(saved)  # stale revision 1
    got = store.get_record("credit-risk", "7")
    assert got is not None and got.stage is Stage.TESTING and got.revision == 2
    assert got.history == ({"to": "testing"},) and got.tags == {"owner": "ds"}
    assert store.get_record("credit-risk", "8") is None


def test_concurrency_conflict_is_transient() -> None:
    assert issubclass(ConcurrencyConflict, TransientError)


def test_records_of_a_model(store: Store) -> None:
    for model, version in (("m", "1"), ("m", "2"), ("other", "1")):
        store.save_record(ModelVersionRecord(model=model, version=version))
    assert sorted(r.version for r in store.records("m")) == ["1", "2"]
    assert store.records("none") == []


def test_records_in_a_stage_follow_the_latest_save(store: Store) -> None:
    first = store.save_record(ModelVersionRecord(model="m", version="1", stage=Stage.STAGING))
    store.save_record(ModelVersionRecord(model="m", version="2", stage=Stage.PRODUCTION))
    assert [r.version for r in store.records("m", "production")] == ["2"]
    store.save_record(replace(first, stage=Stage.PRODUCTION))
    assert sorted(r.version for r in store.records("m", "production")) == ["1", "2"]
    assert store.records("m", "staging") == []


def _job(name: str, at: str, purpose: str = "retrain", model: str = "m") -> JobRef:
    return JobRef(name=name, purpose=purpose, model=model, version=None, event_id=f"e-{name}", submitted_at=at)


def test_jobs_for_a_model_and_purpose_newest_first(store: Store) -> None:
    store.save_job(_job("a", "2026-11-22T08:00:00+00:00"))
    store.save_job(_job("b", "2026-11-22T10:00:00+00:00"))
    store.save_job(_job("c", "2026-11-22T09:00:00+00:00"))
    store.save_job(_job("t", "2026-11-22T11:00:00+00:00", purpose="offline_test"))
    store.save_job(_job("x", "2026-11-22T11:00:00+00:00", model="other"))
    assert [j.name for j in store.jobs_for("m", "retrain")] == ["b", "c", "a"]
    store.save_job(JobRef(**{**_job("a", "2026-11-22T08:00:00+00:00").__dict__, "status": "Completed"}))
    got = store.get_job("a")
    assert got is not None and got.status == "Completed"
    assert store.get_job("nope") is None


def test_effect_done_after_it_is_recorded(store: Store) -> None:
    assert store.effect_done("evt-1:notify") is False
    store.record_effect("evt-1:notify", {"at": "now", "ref": "r1"})
    assert store.effect_done("evt-1:notify") is True


def test_a_storm_opens_one_window_and_the_next_window_counts_the_rest(store: Store) -> None:
    first, second = "2026-11-22T09:00:00+00:00", "2026-11-22T09:15:00+00:00"
    assert store.open_window("oncall:exp", first, f"k{uuid.uuid4().hex}") == 0
    assert [store.open_window("oncall:exp", first, f"k{uuid.uuid4().hex}") for _ in range(4)] == [None] * 4
    assert store.open_window("oncall:other", first, f"k{uuid.uuid4().hex}") == 0
    assert store.open_window("oncall:exp", second, f"k{uuid.uuid4().hex}") == 4
    assert store.open_window("oncall:exp", "2026-11-22T09:30:00+00:00", f"k{uuid.uuid4().hex}") == 0


def test_concurrent_storm_opens_the_window_exactly_once(store: Store) -> None:
    start = "2026-11-22T09:00:00+00:00"
    results = together(8, lambda: store.open_window("oncall:exp", start, f"k{uuid.uuid4().hex}"))
    assert results.count(0) == 1 and results.count(None) == 7
    assert store.open_window("oncall:exp", "2026-11-22T09:15:00+00:00", f"k{uuid.uuid4().hex}") == 7


def _entry(event_id: str, model: str | None, version: str | None, outcome: str = "handled") -> LedgerEntry:
    return LedgerEntry(event_id=event_id, event_type="Microsoft.MachineLearningServices.ModelRegistered",
                       at="2026-11-22T09:00:00+00:00", outcome=outcome, model=model, version=version,
                       detail={"actions": [{"kind": "submit_job"}]})


def test_the_owner_of_a_window_asking_again_gets_its_count_others_are_grouped(store: Store) -> None:
    first, second = "2026-11-22T09:00:00+00:00", "2026-11-22T09:15:00+00:00"
    store.open_window("g", first, "a")
    assert store.open_window("g", first, "b") is None
    assert store.open_window("g", second, "c") == 1
    assert store.open_window("g", second, "c") == 1  # its first send failed: it still owns the window
    assert store.open_window("g", second, "d") is None


def test_ledger_filters_and_keeps_write_order(store: Store) -> None:
    entries = [_entry("e1", "m", "1"), _entry("e2", "m", "2"), _entry("e1", "m", "1", "rejected"),
               _entry("e3", None, None), _entry("e4", "n", "1")]
    for entry in entries:
        store.append_ledger(entry)
    assert store.ledger() == entries
    assert store.ledger(event_id="e1") == [entries[0], entries[2]]
    assert store.ledger(model="m") == entries[:3]
    assert store.ledger(model="m", version="2") == [entries[1]]
    assert store.ledger(event_id="none") == []


def test_dead_letters_newest_first_and_replayable_by_id(store: Store) -> None:
    store.dead_letter("bad-1", {"id": "bad-1", "n": 1}, "invalid event", "2026-11-22T09:00:00+00:00")
    store.dead_letter("bad-2", {"id": "bad-2", "n": 2}, "untrusted source", "2026-11-22T09:01:00+00:00")
    assert [d["event_id"] for d in store.dead_letters()] == ["bad-2", "bad-1"]
    assert store.dead_letters()[0] == {"event_id": "bad-2", "at": "2026-11-22T09:01:00+00:00",
                                       "reason": "untrusted source", "raw": {"id": "bad-2", "n": 2}}
    assert store.get_event("bad-1") == {"id": "bad-1", "n": 1}


def test_get_event_returns_the_last_saved_raw_payload(store: Store) -> None:
    store.save_event("evt-1", {"id": "evt-1", "data": {"modelName": "m"}})
    store.save_event("evt-1", {"id": "evt-1", "data": {"modelName": "replayed"}})
    assert store.get_event("evt-1") == {"id": "evt-1", "data": {"modelName": "replayed"}}
    assert store.get_event("nope") is None


def test_large_payloads_round_trip(store: Store) -> None:
    raw = {"id": "big", "data": {"runProperties": {f"k{i}": "é" * 100 + str(i) for i in range(1500)}}}
    store.save_event("big", raw)
    store.dead_letter("big", raw, "x" * 70_000, "2026-11-22T09:00:00+00:00")
    assert store.get_event("big") == raw
    assert store.dead_letters()[0]["raw"] == raw


def test_table_store_truncates_a_body_over_the_entity_limit_and_says_so(azurite: str) -> None:  # noqa: F811
    store = TableStore.from_connection_string(azurite, prefix=f"t{uuid.uuid4().hex[:12]}")
    store.save_event("huge", {"id": "huge", "blob": "x" * 600_000})
    kept = store.get_event("huge")
    assert kept is not None and kept["_truncated"] is True and "exceed" in kept["_note"]
    assert kept["_head"].startswith('{"id": "huge"')


def test_table_store_settings_pick_the_connection(azurite: str) -> None:  # noqa: F811
    from shared.app.settings import Settings

    store = TableStore.from_settings(Settings.from_env({"REACTOR_STORAGE_CONNECTION": azurite,
                                                        "REACTOR_TABLE_PREFIX": "cfg"}))
    assert store.prefix == "cfg" and store.account == "devstoreaccount1"
    dev = TableStore.from_settings(Settings.from_env({"AzureWebJobsStorage": "UseDevelopmentStorage=true"}))
    assert dev.service.url.startswith("http://127.0.0.1:10002")
    with pytest.raises(ValueError, match="REACTOR_STORAGE_CONNECTION"):
        TableStore.from_settings(Settings.from_env({}))


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


def _settled(event_id: str) -> Completion:
    return Completion(claim_id=event_id, occurrence=None, outcome="handled", event_id=event_id,
                      raw={"id": event_id}, ledger=_entry(event_id, None, None))


def test_settle_records_once_and_a_second_settle_is_a_duplicate(store: Store) -> None:
    assert store.settle(_settled("s1"), NOW)
    assert not store.settle(_settled("s1"), NOW)
    assert store.is_completed("s1") and store.get_event("s1") == {"id": "s1"}
    assert [e.outcome for e in store.ledger(event_id="s1")] == ["handled"]
    assert not store.claim("s1", None, NOW, 60)


def test_settle_waits_for_a_delivery_in_flight_and_takes_over_an_expired_one(store: Store) -> None:
    assert store.claim("s2", None, NOW, 60)
    with pytest.raises(TransientError):
        store.settle(_settled("s2"), NOW)
    assert store.settle(_settled("s2"), NOW + timedelta(seconds=61))
    assert store.is_completed("s2")
