"""OpenTelemetry for the reactor: one span per event, a child span per call to Azure ML, CD or a channel, counters.

Exported to Application Insights through azure-monitor-opentelemetry only when APPLICATIONINSIGHTS_CONNECTION_STRING
is set; that SDK is imported then, on the first event, never when function_app is indexed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, Status, StatusCode

from shared.core.actions import Notify, SubmitJob, TriggerCD
from shared.core.endpoints import EndpointTraffic
from shared.core.ports import Deployer, JobStatus, Notifier, Receipt, Workspace

CONNECTION = "APPLICATIONINSIGHTS_CONNECTION_STRING"
NAME = "mlops_reactor"
Result = TypeVar("Result")


class Seen(Protocol):
    """What the telemetry reads of an engine Outcome."""

    id: str
    type: str
    outcome: str
    actions: tuple[dict[str, Any], ...]
    error: str | None


class Telemetry:
    """Spans and counters over a tracer and a meter (the SDK's, or test providers)."""

    def __init__(self, tracer: trace.Tracer, meter: metrics.Meter) -> None:
        self.tracer = tracer
        self.events = meter.create_counter("reactor.events", description="events by outcome")
        self.actions = meter.create_counter("reactor.actions", description="actions by kind and result")
        self.dead_letters = meter.create_counter("reactor.dead_letters", description="events or effects dead-lettered")
        self.stuck = meter.create_counter("reactor.stuck_intents", description="stalled events the sweep finished")

    def observe(self, raw: Mapping[str, Any], run: Callable[[], Result]) -> Result:
        """Run one event inside its span; count its outcome, its actions and its dead letter."""
        with self.tracer.start_as_current_span("reactor.event") as span:
            span.set_attribute("reactor.event_id", str(raw.get("id") or ""))
            span.set_attribute("reactor.event_type", str(raw.get("eventType") or raw.get("type") or ""))
            try:
                outcome = run()
            except Exception as exc:  # transient: the platform redelivers; the span says so
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.set_attribute("reactor.outcome", "retry")
                self.events.add(1, {"outcome": "retry"})
                raise
            self._record(span, outcome)  # type: ignore[arg-type]
            return outcome

    def swept(self, outcomes: Sequence[Seen]) -> None:
        """Count the stalled events a sweep finished."""
        if outcomes:
            self.stuck.add(len(outcomes))

    def _record(self, span: Span, outcome: Seen) -> None:
        kinds = [str(a.get("kind", "")) for a in outcome.actions]
        span.set_attribute("reactor.outcome", str(outcome.outcome))
        span.set_attribute("reactor.action_kinds", kinds)
        span.set_attribute("reactor.job_names", [str(a["job_name"]) for a in outcome.actions if a.get("job_name")])
        if (about := _model_version(outcome.actions)) is not None:
            span.set_attribute("reactor.model_version", about)
        self.events.add(1, {"outcome": str(outcome.outcome), "event_type": outcome.type})
        for action in outcome.actions:
            self.actions.add(1, {"kind": str(action.get("kind", "")), "result": str(action.get("status", ""))})
        if outcome.error:
            span.set_status(Status(StatusCode.ERROR, outcome.error[:200]))
            self.dead_letters.add(1, {"event_type": outcome.type})

    @contextmanager
    def call(self, name: str, attributes: Mapping[str, str]) -> Iterator[Span]:
        """A child span for one call to the world; an exception marks it failed and propagates."""
        with self.tracer.start_as_current_span(name, kind=trace.SpanKind.CLIENT, attributes=dict(attributes)) as span:
            yield span


def _model_version(actions: Sequence[Mapping[str, Any]]) -> str | None:
    for action in actions:
        if action.get("model") and action.get("version"):
            return f"{action['model']}:{action['version']}"
    return None


def configure(env: Mapping[str, str]) -> Telemetry | None:
    """Telemetry exported to Application Insights, or None when no connection string is set."""
    connection = env.get(CONNECTION)
    if not connection:
        return None
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(connection_string=connection)
    return Telemetry(trace.get_tracer(NAME), metrics.get_meter(NAME))


class TracedWorkspace:
    """A Workspace whose calls are child spans."""

    def __init__(self, inner: Workspace, telemetry: Telemetry) -> None:
        self.inner, self.telemetry = inner, telemetry

    def submit_job(self, job: SubmitJob) -> Receipt:
        """Submit, in a span naming the job."""
        about = {"reactor.job_name": job.job_name, "reactor.purpose": str(job.purpose), "reactor.model": job.model}
        with self.telemetry.call("reactor.azureml.submit_job", about):
            return self.inner.submit_job(job)

    def job_metrics(self, job_name: str) -> dict[str, float]:
        """Read a job's metrics, in a span."""
        with self.telemetry.call("reactor.azureml.job_metrics", {"reactor.job_name": job_name}):
            return self.inner.job_metrics(job_name)

    def set_model_tags(self, model: str, version: str, tags: Mapping[str, str]) -> None:
        """Tag a model version, in a span."""
        with self.telemetry.call("reactor.azureml.set_model_tags", {"reactor.model_version": f"{model}:{version}"}):
            self.inner.set_model_tags(model, version, tags)

    def model_creator(self, model: str, version: str) -> str | None:
        """Who registered a model version, in a span."""
        with self.telemetry.call("reactor.azureml.model_creator", {"reactor.model_version": f"{model}:{version}"}):
            return self.inner.model_creator(model, version)

    def share_to_registry(self, model: str, version: str, registry: str) -> bool:
        """Copy a model version to a registry, in a span."""
        with self.telemetry.call("reactor.azureml.share_to_registry", {"reactor.model_version": f"{model}:{version}"}):
            return self.inner.share_to_registry(model, version, registry)

    def endpoint_models(self, endpoint: str, workspace_id: str = "") -> EndpointTraffic | None:
        """Read an online endpoint's deployments and traffic, in a span."""
        with self.telemetry.call("reactor.azureml.endpoint_models", {"reactor.endpoint": endpoint}):
            return self.inner.endpoint_models(endpoint, workspace_id)

    def job_status(self, name: str) -> JobStatus | None:
        """Read a job's status, in a span."""
        with self.telemetry.call("reactor.azureml.job_status", {"reactor.job_name": name}):
            return self.inner.job_status(name)


class TracedDeployer:
    """A Deployer whose requests are child spans."""

    def __init__(self, inner: Deployer, telemetry: Telemetry) -> None:
        self.inner, self.telemetry = inner, telemetry

    def deploy(self, request: TriggerCD) -> Receipt:
        """Ask CD for one deployment, in a span naming the version and the environment."""
        about = {
            "reactor.model_version": f"{request.model}:{request.version}",
            "reactor.environment": request.environment,
            "reactor.target": request.target,
        }
        with self.telemetry.call("reactor.cd", about):
            return self.inner.deploy(request)


class TracedNotifier:
    """A Notifier whose messages are child spans."""

    def __init__(self, inner: Notifier, telemetry: Telemetry) -> None:
        self.inner, self.telemetry = inner, telemetry

    def send(self, notice: Notify) -> None:
        """Deliver one notice, in a span naming the channel and the template."""
        about = {"reactor.channel": notice.channel, "reactor.template": notice.template}
        with self.telemetry.call("reactor.notify", about):
            self.inner.send(notice)
