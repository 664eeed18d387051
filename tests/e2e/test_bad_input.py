"""Bad input over real HTTP: a named 400 or 413 (the webhook: acknowledged and dead-lettered), never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from shared.tools import synthetic
from tests.e2e.conftest import Host

WEBHOOK = "/runtime/webhooks/eventgrid"
DEEP = "[" * 970 + "]" * 970
MIB = 1 << 20


@pytest.fixture(autouse=True)
def no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No test here may leave a traceback in the log: bad input is expected, not an accident."""
    yield
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    assert "Traceback" not in caplog.text


def deliver(host: Host, body: str | bytes, function: str = "aml_events") -> requests.Response:
    return requests.post(
        f"{host.url}{WEBHOOK}",
        params={"functionName": function, "code": host.keys.eventgrid},
        data=body,
        headers={"aeg-event-type": "Notification"},
        timeout=30,
    )


def dead_letter(host: Host, event_id: str) -> dict[str, Any]:
    letters = host.client.api("GET", "ledger/dead-letters").json()["dead_letters"]
    return next(letter for letter in letters if letter["event_id"] == event_id)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([1, 2], "data"),
        (5, "data"),
        (None, "data"),
        ({"modelName": ["m"], "modelVersion": "1"}, "data.modelName"),
        ({"modelName": "m", "modelVersion": None}, "data.modelVersion"),
        ({"modelName": "m", "modelVersion": 1, "modelTags": 7}, "data.modelTags"),
    ],
)
def test_a_registration_with_fields_of_the_wrong_type_is_acknowledged_and_dead_lettered(
    host: Host, data: object, field: str
) -> None:
    event = {**synthetic.build("model_registered", host.settings.workspace_id), "id": "bad-1", "data": data}
    assert deliver(host, json.dumps([event])).status_code == 202
    assert f"field '{field}' must be" in dead_letter(host, "bad-1")["reason"]


@pytest.mark.parametrize("function", ["aml_events", "aml_cloudevents"])
def test_one_schema_with_the_other_schemas_fields_is_dead_lettered_naming_the_field(host: Host, function: str) -> None:
    grid = synthetic.build("model_registered", host.settings.workspace_id)
    mixed = {**grid, "id": "mixed-1", "specversion": "1.0"}  # CloudEvents by specversion, Event Grid fields
    assert deliver(host, json.dumps([mixed]), function).status_code == 202
    assert (
        "field 'type' must be a non-empty string: the event is read as CloudEvents"
        in dead_letter(host, "mixed-1")["reason"]
    )


def test_an_event_time_the_worker_cannot_read_is_dead_lettered(host: Host) -> None:
    event = {**synthetic.build("model_registered", host.settings.workspace_id), "id": "t-1", "eventTime": 5}
    assert deliver(host, json.dumps([event])).status_code == 202
    assert "field 'eventTime' must be an RFC 3339 timestamp" in dead_letter(host, "t-1")["reason"]


def test_an_event_nested_deeper_than_the_app_takes_is_dead_lettered_under_its_id(host: Host) -> None:
    nested: list[object] = []
    for _ in range(40):  # deeper than the app takes, not so deep that the host refuses the delivery
        nested = [nested]
    event = {**synthetic.build("model_registered", host.settings.workspace_id), "id": "deep-1"}
    event["data"] = {**event["data"], "extra": nested}
    assert deliver(host, json.dumps([event])).status_code == 202
    letter = dead_letter(host, "deep-1")
    assert "more than 32 levels deep" in letter["reason"]
    assert "data" not in letter["raw"]  # a small stand-in is kept, not the payload


@pytest.mark.parametrize("route", ["webhook", "replay", "deployments", "approvals"])
def test_deep_nesting_is_400_before_anything_runs(host: Host, route: str) -> None:
    answer = post(host, route, DEEP.encode())
    assert answer.status_code == 400
    assert "levels deep" in answer.text
    assert host.client.api("GET", "ledger/dead-letters").json()["dead_letters"] == []


@pytest.mark.parametrize("route", ["webhook", "replay", "deployments", "approvals", "ledger"])
def test_a_body_above_the_limit_is_413_on_every_route(host: Host, route: str) -> None:
    answer = post(host, route, b" " * (MIB + 1))
    assert answer.status_code == 413
    assert "REACTOR_MAX_BODY_BYTES" in answer.text


def test_a_chunked_body_above_the_limit_is_413(host: Host) -> None:
    chunks = (b"x" * 65536 for _ in range(17))  # no Content-Length: the host stops reading at the limit
    answer = requests.post(
        f"{host.url}/api/replay", data=chunks, headers={"x-functions-key": host.keys.function}, timeout=30
    )
    assert answer.status_code == 413


def post(host: Host, route: str, body: bytes) -> requests.Response:
    """POST raw bytes to one route, with the right key and headers."""
    if route == "webhook":
        return deliver(host, body)
    path = {
        "replay": "replay",
        "deployments": "deployments",
        "approvals": "approvals/credit-risk/1",
        "ledger": "ledger/dead-letters",
    }[route]
    method = "GET" if route == "ledger" else "POST"
    return requests.request(
        method,
        f"{host.url}/api/{path}",
        data=body,
        timeout=30,
        headers={"x-functions-key": host.keys.function, "content-type": "application/json"},
    )
