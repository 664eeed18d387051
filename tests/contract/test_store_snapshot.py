"""Reads that follow `subject_revision` (the loader's order), on both stores: what a decision read stays guarded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from shared.core.lifecycle import Stage
from shared.core.state import Conflict
from shared.core.store import Store
from tests.contract import test_store_contract as contract
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)
from tests.contract.test_store_contract import LEASE, NOW, commit, record

opener = contract.opener  # each Store on a fresh state; call again for another instance on it


def test_a_change_after_the_subject_was_read_fails_the_commit(opener: Callable[[], Store]) -> None:
    mine, other = opener(), opener()
    mine.commit(commit("e1", records=(record("1"), record("2", Stage.PRODUCTION))), NOW, LEASE)
    revision = mine.subject_revision("m")
    seen = mine.get_record("m", "1")
    assert seen is not None and [r.version for r in mine.records("m", "production")] == ["2"]
    moved = replace(seen, stage=Stage.REJECTED)
    other.commit(commit("e2", records=(moved,), revision=revision), NOW, LEASE)
    with pytest.raises(Conflict):
        mine.commit(commit("e3", records=(replace(seen, stage=Stage.CANDIDATE),), revision=revision), NOW, LEASE)
    assert mine.subject_revision("m") == revision + 1
    again = mine.get_record("m", "1")
    assert again is not None and again.stage is Stage.REJECTED and again.revision == 2


def test_records_in_a_final_stage_and_absent_versions_are_read_after_the_subject(opener: Callable[[], Store]) -> None:
    store = opener()
    store.commit(commit("e1", records=(record("1", Stage.REJECTED), record("2", Stage.SUPERSEDED))), NOW, LEASE)
    assert store.subject_revision("m") == 1 and store.subject_revision("none") == 0
    assert store.get_record("m", "1").stage is Stage.REJECTED  # type: ignore[union-attr]
    assert [r.version for r in store.records("m", "superseded")] == ["2"]
    assert store.get_record("m", "3") is None and store.get_record("none", "1") is None
    assert sorted(r.version for r in store.records("m")) == ["1", "2"]
