"""Telemetry with the OpenTelemetry SDK's in-memory exporter: one trace per event, a child span per action."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.adapters.telemetry import Telemetry
from shared.app import bootstrap
from shared.app.settings import APP_ROOT, Settings
from shared.core.clock import FixedClock
from tests.conftest import load_event

CALLS = {"submit_job": "reactor.azureml.submit_job", "tag_model": "reactor.azureml.set_model_tags"}


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def traced(settings: Settings, clock: FixedClock, spans: InMemorySpanExporter, reader: InMemoryMetricReader) -> Any:
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(tracing.get_tracer("test"), MeterProvider(metric_readers=[reader]).get_meter("test"))
    return bootstrap.build(settings, clock=clock, telemetry=telemetry)


def _counts(reader: InMemoryMetricReader, name: str) -> dict[tuple[tuple[str, Any], ...], int]:
    data = reader.get_metrics_data()
    return {
        tuple(sorted((point.attributes or {}).items())): int(point.value)
        for rm in (data.resource_metrics if data else [])
        for sm in rm.scope_metrics
        for metric in sm.metrics
        if metric.name == name
        for point in metric.data.data_points  # type: ignore[union-attr]
    }


def _by_trace(finished: tuple[ReadableSpan, ...]) -> dict[int, list[ReadableSpan]]:
    traces: dict[int, list[ReadableSpan]] = {}
    for span in finished:
        assert span.context is not None
        traces.setdefault(span.context.trace_id, []).append(span)
    return traces


def test_a_registration_is_one_trace_with_each_call_to_azure_ml_as_a_child(
    traced: Any, spans: InMemorySpanExporter, reader: InMemoryMetricReader
) -> None:
    event = load_event("model_registered.eventgrid.pascal.json")[0]

    outcome = traced.handle(event)

    traces = _by_trace(spans.get_finished_spans())
    assert len(traces) == 1
    (trace,) = traces.values()
    root = next(s for s in trace if s.name == "reactor.event")
    children = [s for s in trace if s is not root]
    assert root.parent is None
    kinds = tuple(a["kind"] for a in outcome.actions)
    assert "submit_job" in kinds
    assert sorted(s.name for s in children) == sorted(CALLS[k] for k in kinds)
    assert all(s.parent is not None and s.parent.span_id == root.context.span_id for s in children)
    attributes = dict(root.attributes or {})
    assert attributes["reactor.event_id"] == event["id"]
    assert attributes["reactor.outcome"] == outcome.outcome == "handled"
    assert attributes["reactor.action_kinds"] == kinds
    assert attributes["reactor.job_names"] == tuple(a["job_name"] for a in outcome.actions if a.get("job_name"))
    assert attributes["reactor.model_version"] == "sklearn_regression_model:20"
    assert _counts(reader, "reactor.events") == {(("event_type", event["eventType"]), ("outcome", "handled")): 1}
    assert _counts(reader, "reactor.actions") == {(("kind", k), ("result", "done")): 1 for k in kinds}


def test_each_event_of_a_delivery_gets_its_own_trace_and_a_duplicate_calls_nothing(
    traced: Any, spans: InMemorySpanExporter
) -> None:
    event = load_event("model_registered.eventgrid.pascal.json")[0]
    failed = load_event("run_status_changed.failed.eventgrid.json")

    traced.handle_delivery([event, *failed])
    traced.handle(event)

    traces = list(_by_trace(spans.get_finished_spans()).values())
    assert len(traces) == 3
    names = [sorted(s.name for s in t) for t in traces]
    assert any("reactor.azureml.submit_job" in n for n in names)
    assert ["reactor.event", "reactor.notify"] in names
    assert ["reactor.event"] in names  # the redelivery: a duplicate, no call to the world


def test_a_rejected_event_counts_a_dead_letter(traced: Any, reader: InMemoryMetricReader) -> None:
    outcome = traced.handle(load_event("bad.untrusted_topic.json")[0])

    assert outcome.outcome == "rejected"
    assert sum(_counts(reader, "reactor.dead_letters").values()) == 1


def test_without_a_connection_string_there_is_no_observer_and_no_sdk(settings: Settings) -> None:
    assert bootstrap.build(settings).observer is None
    probe = (
        "import sys; from shared.app import bootstrap; from shared.app.settings import Settings\n"
        "bootstrap.build(Settings.from_env({'REACTOR_MODE': 'local', 'REACTOR_STATE_DIR': sys.argv[1]}))\n"
        "print('azure.monitor.opentelemetry' in sys.modules, 'opentelemetry.sdk' in sys.modules)"
    )
    state = str(settings.state_dir)
    out = subprocess.run([sys.executable, "-c", probe, state], cwd=APP_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
