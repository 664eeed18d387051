"""Fuzzed events: whatever the shape, parsing ends in a typed event or a permanent error, nothing else."""

from __future__ import annotations

import contextlib
from typing import Any

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.core import events as ev
from shared.core.errors import PermanentError

TYPES = [
    "Microsoft.MachineLearningServices.ModelRegistered",
    "Microsoft.MachineLearningServices.ModelDeployed",
    "Microsoft.MachineLearningServices.RunCompleted",
    "Microsoft.MachineLearningServices.RunStatusChanged",
    "Microsoft.MachineLearningServices.DatasetDriftDetected",
    "MLOpsReactor.DeploymentReported",
    "MLOpsReactor.ApprovalDecided",
    "Microsoft.Resources.ResourceWriteSuccess",
    "Something.Else",
]
PLAUSIBLE: dict[str, Any] = {
    "modelName": "m",
    "modelVersion": 1,
    "modelTags": {"k": "v"},
    "modelIds": "m:1",
    "serviceName": "s",
    "serviceTags": {},
    "runId": "r",
    "runStatus": "Failed",
    "runTags": {"azureml_modelmonitor_threshold_breached": "The signal 'x' breached"},
    "experimentName": "e",
    "dataDriftName": "d",
    "driftCoefficient": 0.5,
    "model": "m",
    "version": "2",
    "environment": "staging",
    "status": "succeeded",
    "run_url": "https://x",
    "decision": "approve",
    "approver": "a",
    "comment": "c",
    "resourceUri": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"
    "/onlineEndpoints/e-prod/deployments/d",
    "operationName": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
    "claims": {"name": "n", "appid": "a"},
    "authorization": {"evidence": {"principalId": "p"}},
    "correlationId": "c",
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["Completed", "Failed", "staging", "approve", "m:1", "m"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


def mostly(value: Any) -> st.SearchStrategy[Any]:
    """The plausible value three times in four, else anything JSON."""
    return st.one_of(st.just(value), st.just(value), st.just(value), json_values)


# Mostly well-formed envelopes and fields of both schemas (and mixes), so the fuzz reaches every builder.
data = st.one_of(json_values, st.fixed_dictionaries({}, optional={k: mostly(v) for k, v in PLAUSIBLE.items()}))
kind = st.one_of(st.sampled_from(TYPES), st.sampled_from(TYPES), json_values)
when = mostly("2026-01-01T00:00:00Z")
payload = st.one_of(data, data, data, json_values)
grid = st.fixed_dictionaries(
    {"id": mostly("x"), "eventType": kind, "topic": mostly("t"), "data": payload},
    optional={"subject": mostly("s"), "eventTime": when, "type": kind, "source": json_values},
)
cloud = st.fixed_dictionaries(
    {"specversion": mostly("1.0"), "id": mostly("x"), "type": kind, "source": mostly("t"), "data": payload},
    optional={"subject": mostly("s"), "time": when, "eventType": kind},
)
events = st.one_of(
    grid, cloud, st.dictionaries(st.sampled_from(["id", "type", "eventType", "topic", "data"]), json_values)
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=events, internal=st.booleans())
def test_parsing_anything_raises_nothing_but_a_permanent_error(raw: dict[str, Any], internal: bool) -> None:
    try:
        parsed = ev.parse(raw, internal=internal)
    except PermanentError as exc:
        assert str(exc).startswith("invalid event")
        hypothesis.event("InvalidEvent")
    else:
        assert isinstance(parsed, ev.Event)
        hypothesis.event(type(parsed).__name__)


@settings(max_examples=500, deadline=None)
@given(body=json_values)
def test_splitting_any_delivery_raises_nothing_but_a_permanent_error(body: Any) -> None:
    with contextlib.suppress(PermanentError):
        ev.split_delivery(body)
