"""The edge's JSON guard: size and depth refused before parsing, strings made storable, no recursion anywhere."""

from __future__ import annotations

import json

import pytest

from shared.core import payload
from shared.core.payload import BadBody


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_lone_surrogates_and_nul_become_the_replacement_character() -> None:
    value = payload.loads(json.dumps({"a\ud800": ["x\x00y", "\udfff"], "ok": "\U0001f600"}).encode(), max_bytes=999)
    assert value == {"a\ufffd": ["x\ufffdy", "\ufffd"], "ok": "\U0001f600"}
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # storable as UTF-8 now


def test_a_body_above_the_limit_is_413_before_parsing() -> None:
    with pytest.raises(BadBody) as caught:
        payload.loads(b"not even json" * 100, max_bytes=1000)
    assert caught.value.status == 413
    assert "1300 bytes" in str(caught.value) and "REACTOR_MAX_BODY_BYTES" in str(caught.value)


@pytest.mark.parametrize("levels", [33, 970, 100_000])
def test_deep_nesting_is_400_without_a_recursion_error(levels: int) -> None:
    with pytest.raises(BadBody) as caught:
        payload.loads(deep(levels).encode(), max_bytes=1 << 20)
    assert caught.value.status == 400
    assert "more than 32 levels deep" in str(caught.value)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"a": "[" * 500 + '\\"{' * 100, "b": [[1]]})
    assert payload.nesting(text) == 3
    assert payload.loads(text.encode(), max_bytes=1 << 20)["b"] == [[1]]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"\xff\xfe{", "not UTF-8"),
        (b"{nope", "not JSON"),
        (b"1" * 5000, "not JSON"),  # above Python's integer-string limit
    ],
)
def test_unreadable_bodies_are_400_naming_the_problem(raw: bytes, problem: str) -> None:
    with pytest.raises(BadBody, match=problem) as caught:
        payload.loads(raw, max_bytes=1 << 20)
    assert caught.value.status == 400


def test_an_empty_body_is_none() -> None:
    assert payload.loads(b"  ", max_bytes=10) is None


def test_sanitize_walks_values_far_deeper_than_the_recursion_limit() -> None:
    value: list[object] = []
    for _ in range(50_000):
        value = [value]
    found = payload.sanitize(value)
    assert found.value is None and found.problem and "32 levels" in found.problem


def test_an_event_too_deep_or_too_large_becomes_a_stand_in_that_keeps_its_envelope() -> None:
    nested: list[object] = []
    for _ in range(970):
        nested = [nested]
    raw = {"id": "e-1", "eventType": "T", "topic": "x\ud800", "data": {"tags": nested}}
    stand_in = payload.guard_event(raw, max_bytes=1 << 20)
    assert stand_in == {
        "id": "e-1",
        "eventType": "T",
        "topic": "x\ufffd",
        payload.REFUSED: "the value nests arrays and objects more than 32 levels deep",
    }
    large = payload.guard_event({"id": "e-2", "data": {"blob": "x" * 5000}}, max_bytes=1000)
    assert large[payload.REFUSED] == "the event is more than 1000 bytes (REACTOR_MAX_BODY_BYTES)"
    assert set(large) == {"id", payload.REFUSED}


def test_a_good_event_passes_the_guard_unchanged() -> None:
    raw = {"id": "e", "data": {"modelName": "m", "modelVersion": 3, "modelTags": {"k": None}}}
    assert payload.guard_event(raw, max_bytes=1 << 20) == raw
