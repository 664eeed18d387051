"""Fuzzed deliveries on every route, called as the worker calls the functions: never a 500, never a traceback.

Each example is one request (or one Event Grid event) built from bytes, JSON of any shape, deep nesting,
bodies above the limit, odd strings (lone surrogates, NUL) and valid events with one field replaced.
All examples share one reactor and its state, as a host's requests would.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from devhost.eventgrid import decode
from functions.aml_events import aml_cloudevents, aml_events
from functions.approvals import approvals
from functions.deployments import deployments
from functions.health import health
from functions.ledger import ledger
from functions.replay import replay
from shared.app import bootstrap
from shared.app.settings import Settings
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID

# `make reliability` runs these with REACTOR_FUZZ_SCALE=2000 (6,000 HTTP requests and 4,000 events).
SCALE = int(os.environ.get("REACTOR_FUZZ_SCALE", "1000"))
LIMIT = 4096  # REACTOR_MAX_BODY_BYTES for this test: large bodies stay cheap to generate
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())  # surrogates and NUL too
text = st.one_of(st.text(ANY_CHAR, max_size=12), st.sampled_from(["approve", " REJECT ", "staging", "1", "m"]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=12,
)
EXAMPLES = [
    synthetic.build(kind, WORKSPACE_ID, schema=schema)
    for kind in synthetic.TYPES
    for schema in ("eventgrid", "cloudevents")
]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with one envelope or data field replaced, added or removed."""
    event = json.loads(json.dumps(draw(st.sampled_from(EXAMPLES))))
    target = event["data"] if draw(st.booleans()) else event
    name = draw(st.one_of(st.sampled_from(sorted(target)), text))
    if draw(st.booleans()):
        target.pop(name, None)
    else:
        target[name] = draw(json_values)
    return event


def nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


events = st.one_of(mutated(), st.dictionaries(text, json_values, max_size=5))
json_bodies = st.one_of(
    json_values,
    events,
    st.lists(events, max_size=3),
    st.fixed_dictionaries(
        {"events": st.lists(events, max_size=2)},
        optional={"dry_run": json_values, "force": json_values, "reason": json_values},
    ),
    st.fixed_dictionaries(
        {}, optional={"decision": json_values, "comment": json_values, "approver": json_values, "extra": json_values}
    ),
)
bodies = st.one_of(
    json_bodies.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.sampled_from([30, 33, 40, 970, 5000]).map(nested),
    st.integers(LIMIT + 1, 2 * LIMIT).map(lambda n: b" " * n),
    st.sampled_from([b"decision=approve&approver=a", b"decision=APPROVE&decision=reject", b"decision=%00&x=1"]),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "",
        "multipart/form-data; boundary=x",
        "application/cloudevents+json",
    ]
)


@pytest.fixture
def installed(reactor: Reactor, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Reactor]:
    monkeypatch.setenv("REACTOR_MODE", "local")
    monkeypatch.setenv("REACTOR_STATE_DIR", str(settings.state_dir))
    monkeypatch.setenv("REACTOR_MAX_BODY_BYTES", str(LIMIT))
    bootstrap.reset(reactor)
    yield reactor
    bootstrap.reset()


def call_http(
    route: str, body: bytes, content_type: str, params: dict[str, str], model: str, version: str
) -> func.HttpResponse:
    headers = {"content-type": content_type} if content_type else {}
    if route == "replay":
        return replay(func.HttpRequest("POST", "/api/replay", body=body, headers=headers, params=params))
    if route == "deployments":
        return deployments(func.HttpRequest("POST", "/api/deployments", body=body, headers=headers))
    if route in ("approve", "page"):
        method = "POST" if route == "approve" else "GET"
        request = func.HttpRequest(
            method,
            f"/api/approvals/{model}/{version}",
            body=body,
            headers=headers,
            route_params={"model": model, "version": version},
        )
        return approvals(request)
    if route == "ledger":
        kind = params.get("kind", "events")
        return ledger(
            func.HttpRequest(
                "GET", "/api/ledger", body=body, route_params={"kind": kind, "key": model, "version": version}
            )
        )
    return health(func.HttpRequest("GET", "/api/health", body=body))


@settings(max_examples=3 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    route=st.sampled_from(["replay", "deployments", "approve", "page", "ledger", "health"]),
    body=bodies,
    content_type=content_types,
    model=text,
    version=text,
    params=st.dictionaries(st.sampled_from(["dry_run", "force", "reason", "kind"]), text, max_size=3),
)
def test_http_routes_never_answer_500(
    installed: Reactor,
    caplog: pytest.LogCaptureFixture,
    route: str,
    body: bytes,
    content_type: str,
    model: str,
    version: str,
    params: dict[str, str],
) -> None:
    caplog.set_level(logging.WARNING)
    answer = call_http(
        route, body, content_type, {**params, "dry_run": params.get("dry_run", "false")}, model or "m", version or "1"
    )  # an empty route segment never matches a route
    assert answer.status_code < 500, answer.get_body()[:300]
    event(f"{route} {answer.status_code}")
    assert len(body) <= LIMIT or route in ("page", "ledger", "health") or answer.status_code == 413
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    caplog.clear()


@settings(max_examples=2 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.one_of(events, events.map(lambda e: {**e, "specversion": "1.0"})))
def test_event_grid_functions_never_raise_for_a_permanent_problem(
    installed: Reactor, caplog: pytest.LogCaptureFixture, raw: dict[str, Any]
) -> None:
    caplog.set_level(logging.WARNING)
    binding = decode(raw)  # the object the worker builds (CloudEvent when specversion is set)
    (aml_cloudevents if "specversion" in raw else aml_events)(binding)  # raising here would be a 500
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    caplog.clear()
