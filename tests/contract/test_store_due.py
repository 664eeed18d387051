"""The Store contract for approval hygiene: `due_approvals` and the record's approval fields, on both stores."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.store import Store
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import LEASE, NOW, commit, opener, record  # noqa: F401  (fixture)


@pytest.fixture
def store(opener: Callable[[], Store]) -> Store:  # noqa: F811  (each store, from the contract's opener)
    return opener()


H = "2026-11-22T{:02d}:00:00+00:00"


def waiting(version: str, hour: int | None, model: str = "m", stage: Stage = Stage.STAGING) -> ModelVersionRecord:
    return replace(
        record(version, stage, model=model),
        approval={"key": f"approval:{model}:{version}:3", "votes": [{"by": "ana", "at": "x", "comment": ""}]},
        waiting_until=None if hour is None else H.format(hour),
        registered_by="Ana@contoso.example",
    )


def test_due_approvals_are_staging_records_past_their_expiry_soonest_first_across_models(store: Store) -> None:
    versions = (waiting("1", 8), waiting("2", 12), waiting("3", None), waiting("4", 6, stage=Stage.CANDIDATE))
    store.commit(commit("e1", records=versions), NOW, LEASE)
    store.commit(commit("e2", records=(waiting("1", 7, model="other"),), model="other"), NOW, LEASE)
    due = store.due_approvals(H.format(9), 10)
    assert [(r.model, r.version) for r in due] == [("other", "1"), ("m", "1")]
    assert due[1].approval["votes"][0]["by"] == "ana" and due[1].registered_by == "Ana@contoso.example"
    assert [r.key for r in store.due_approvals(H.format(12), 1)] == ["other:1"]  # bounded
    assert [r.key for r in store.due_approvals(H.format(12), 10)] == ["other:1", "m:1", "m:2"]  # at the second too
    assert store.due_approvals(H.format(5), 10) == []


def test_a_request_decided_renewed_or_expired_is_no_longer_due_at_its_old_time(store: Store) -> None:
    store.commit(commit("e1", records=(waiting("1", 8), waiting("2", 8), waiting("3", 8))), NOW, LEASE)
    approved = replace(store.get_record("m", "1"), stage=Stage.APPROVED, waiting_until=None)  # type: ignore[type-var]
    renewed = replace(store.get_record("m", "2"), waiting_until=H.format(20))  # type: ignore[type-var]
    expired = replace(store.get_record("m", "3"), waiting_until=None, approval={"expired": True})  # type: ignore[type-var]
    store.commit(commit("e2", records=(approved, renewed, expired), revision=1), NOW, LEASE)
    assert store.due_approvals(H.format(9), 10) == []
    assert [r.key for r in store.due_approvals(H.format(21), 10)] == ["m:2"]
    assert [r.key for r in store.due_approvals(H.format(21), 10)] == ["m:2"]  # reading twice changes nothing
