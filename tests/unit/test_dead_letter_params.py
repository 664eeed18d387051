"""The pure side of dead letters: query parameters, cursors, Event Grid's blob layout and extra fields."""

from __future__ import annotations

import json

import pytest

from shared.core.dead_letters import BadQuery, decode_cursor, encode_cursor, query_from, status_of, yes_no
from shared.core.errors import Misconfigured, PermanentError
from shared.core.eventgrid_letters import blob_query_from, given_up, read_blob, time_prefix
from shared.web.dead_letters import list_blobs


def test_a_query_reads_every_parameter_and_times_become_utc() -> None:
    query = query_from({"type": "T", "reason": "x", "status": "open", "since": "2026-12-03", "limit": "7"})
    assert (query.event_type, query.reason, query.status, query.limit) == ("T", "x", "open", 7)
    assert query.since == "2026-12-03T00:00:00+00:00"
    assert query_from({"until": "2026-12-03T10:00:00+02:00"}).until == "2026-12-03T08:00:00+00:00"
    assert query_from({}).limit == 50 and query_from({"type": " "}).event_type is None


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "501"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"since": "soon"}, "since"),
        ({"since": "2026-12-02", "until": "2026-12-02"}, "until"),
        ({"status": "lost"}, "status"),
        ({"cursor": "bm90IGpzb24"}, "cursor"),
        ({"dry_run": "false"}, "dry_run"),  # only where the caller reads it
    ],
)
def test_a_bad_parameter_is_named(params: dict[str, str], name: str) -> None:
    with pytest.raises(BadQuery) as caught:
        query_from(params)
    assert caught.value.name == name and f"'{name}'" in str(caught.value)


def test_cursors_round_trip_and_yes_no_is_strict() -> None:
    assert decode_cursor(encode_cursor(["2026-12-03T00:00:00+00:00", 12])) == ["2026-12-03T00:00:00+00:00", 12]
    assert yes_no("again", "ON", default=False) and not yes_no("dry_run", "0", default=True)
    assert yes_no("dry_run", None, default=True)
    with pytest.raises(BadQuery, match="'dry_run'"):
        yes_no("dry_run", "perhaps", default=True)


def test_status_of_a_letter() -> None:
    assert status_of("failed", True) == "failed" and status_of("rejected", True, newest=False) == "resolved"
    assert status_of("rejected", False) == "open" and status_of(None, False, newest=False) == "superseded"


def test_time_prefixes_follow_event_grids_layout() -> None:
    assert time_prefix("mlops-reactor-models", "2026-01-03", 7) == "MLOPS-REACTOR-MODELS/2026/1/3/7/"
    assert time_prefix("s", "2026-12-03") == "S/2026/12/3/" and time_prefix("s") == "S/" and time_prefix(None) == ""
    assert blob_query_from({"subscription": "s", "date": "2026-12-03", "hour": "0"}).prefix == "S/2026/12/3/0/"
    for params, name in [
        ({"date": "2026-12-03"}, "subscription"),
        ({"subscription": "s", "date": "2026-12-32"}, "date"),
        ({"subscription": "s", "hour": "3"}, "date"),
        ({"subscription": "s", "date": "2026-12-03", "hour": "24"}, "hour"),
        ({"subscription": "a/b"}, "subscription"),
        ({"limit": "0"}, "limit"),
        ({"colour": "red"}, "colour"),
    ]:
        with pytest.raises(BadQuery) as caught:
            blob_query_from(params)
        assert caught.value.name == name, params


def test_event_grids_extra_fields_are_read_and_stripped_in_both_schemas() -> None:
    eventgrid = given_up({"id": "a", "eventType": "T", "deadLetterReason": "MaxDeliveryAttemptsExceeded",
                          "deliveryAttempts": 30, "lastDeliveryOutcome": "Forbidden", "publishTime": "p",
                          "lastDeliveryAttemptTime": "q"})  # fmt: skip
    assert eventgrid.event == {"id": "a", "eventType": "T"} and eventgrid.attempts == 30
    assert (eventgrid.reason, eventgrid.last_outcome, eventgrid.published) == (
        "MaxDeliveryAttemptsExceeded",
        "Forbidden",
        "p",
    )
    cloud = given_up({"id": "b", "type": "T", "specversion": "1.0", "deadletterreason": "R", "deliveryattempts": "2",
                      "lastdeliveryoutcome": "TimedOut", "publishtime": "p"})  # fmt: skip
    assert cloud.event == {"id": "b", "type": "T", "specversion": "1.0"} and cloud.attempts == 2
    assert given_up({"id": "c"}).reason == "unknown"
    # Another reason seen on real blobs (azure-sdk-for-net issue 26198): kept as written, classified as any other.
    probation = given_up({"id": "d", "deadLetterReason": "UndeliverableDueToProbationCausedByClientError",
                          "lastDeliveryOutcome": "Probation", "deliveryAttempts": 3})  # fmt: skip
    assert (probation.reason, probation.last_outcome, probation.attempts) == (
        "UndeliverableDueToProbationCausedByClientError", "Probation", 3)  # fmt: skip


def test_a_blob_holds_one_event_or_an_array() -> None:
    one = {"id": "a", "deadLetterReason": "R"}
    assert [g.event_id for g in read_blob("x", json.dumps(one).encode())] == ["a"]
    assert [g.event_id for g in read_blob("x", json.dumps([one, one | {"id": "b"}]).encode())] == ["a", "b"]
    for body in (b"[]", b"[1]", b"{", b"\xff"):
        with pytest.raises(PermanentError, match="'x'"):
            read_blob("x", body)


def test_a_container_the_settings_do_not_name_is_a_503_naming_them() -> None:
    def missing() -> None:
        raise Misconfigured("Event Grid's dead letters need REACTOR_DEADLETTER_CONNECTION")

    status, body = list_blobs(missing, {})  # type: ignore[arg-type]
    assert status == 503 and "REACTOR_DEADLETTER_CONNECTION" in body["error"]
