"""TableStore reads what the layout before wrote (no migration step): in-flight rows in table `Jobs`, occurrences
in their own partition, notices in their own partition. Each case writes the old rows as that layout did."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from shared.adapters.store.table.keys import OCCURRENCE, intent_rk, occurrence_pk, part
from shared.adapters.store.table.rows import intent_props, job_props
from shared.adapters.store.table.store import TableStore
from shared.core.state import Claimed, Intent, IntentStatus
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import LEASE, NOW, commit, done, finish, intent, job, record


@pytest.fixture
def store(azurite: str) -> TableStore:  # noqa: F811
    return TableStore.from_connection_string(azurite, prefix=f"t{uuid.uuid4().hex[:12]}")


def test_an_inflight_row_of_the_layout_before_is_listed_while_open_and_drained_once_closed(store: TableStore) -> None:
    old = job("j-old", purpose="offline_test")
    c = commit("registered", jobs=(old,))
    store.commit(c, NOW, LEASE)
    row = {"PartitionKey": "inflight:offline_test", "RowKey": f"{part(old.submitted_at)}|{part(old.name)}"}
    store.table("Jobs").upsert_entity({**row, **job_props(old)})
    for shard in range(16):  # only the old row is left to find
        for r in store.table("Claims").query_entities(f"PartitionKey eq 'claims:{shard:02d}'"):
            if str(r["RowKey"]).startswith("inflight:"):
                store.table("Claims").delete_entity(r["PartitionKey"], r["RowKey"])
    assert [j.name for j in store.inflight_jobs("offline_test", "9999", None, 10)] == ["j-old"]
    store.commit(commit("reported", jobs=(replace(old, status="Completed"),), revision=1), NOW, LEASE)
    assert store.inflight_jobs("offline_test", "9999", None, 10) == []
    assert list(store.table("Jobs").query_entities("PartitionKey eq 'inflight:offline_test'")) == []


def test_a_twin_of_a_completion_taken_in_the_layout_before_is_a_duplicate(store: TableStore) -> None:
    closed = replace(job("j1", purpose="offline_test"), status="Completed")
    first = commit("run-completed", intent("cd:m:1"), records=(record(),), jobs=(closed,))
    store.commit(first, NOW, LEASE)  # as the layout before: the occurrence in its own partition
    store.finish(finish(first, done(first.intents[0])))
    taken = {"PartitionKey": occurrence_pk("run:j1:completed"), "RowKey": OCCURRENCE, "claim": "run-completed"}
    store.table("Claims").create_entity({**taken, "until": 0.0})
    store.get_job("j1")
    twin = commit("status-changed", occurrence="run:j1:completed", event_id="status-changed")
    assert store.commit(twin, NOW, LEASE).claimed is Claimed.DUPLICATE


def test_a_notice_pending_in_the_layout_before_gets_its_result_there(store: TableStore) -> None:
    notice = Intent(key="notify:verdict:m:1:j1:teams", action={"kind": "notify", "channel": "teams", "model": "m"})
    c = commit("verdict", records=(record(),))
    store.commit(c, NOW, LEASE)
    old_pk = f"notice:{part('notify:verdict:m:1:j1')}"  # where the layout before kept every notice
    store.table("Subjects").create_entity(
        {"PartitionKey": old_pk, "RowKey": intent_rk(notice.key), **intent_props(notice, "verdict", 0)}
    )
    store.finish(finish(c, done(notice)))
    row = store.table("Subjects").get_entity(old_pk, intent_rk(notice.key))
    assert row["status"] == str(IntentStatus.DONE)
