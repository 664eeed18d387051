"""Metrics of a finished job read the way Azure ML documents it: MLflow tracking against the workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

PARENT_TAG = "mlflow.parentRunId"
MAX_DEPTH = 3


class TrackingClient(Protocol):
    """The slice of `mlflow.tracking.MlflowClient` we call."""

    def get_run(self, run_id: str) -> Any:
        """One run (an Azure ML job's run id is its name)."""
        ...

    def search_runs(self, experiment_ids: list[str], filter_string: str = "", *args: Any, **kwargs: Any) -> Any:
        """Runs of experiments matching a filter."""
        ...


def mlflow_client(tracking_uri: str) -> TrackingClient:
    """An MlflowClient on a tracking URI; azureml-mlflow makes `azureml://` URIs work (lazy import)."""
    from mlflow.tracking import MlflowClient

    client: TrackingClient = MlflowClient(tracking_uri=tracking_uri)
    return client


class RunMetrics:
    """A job's metrics and those its pipeline steps (child runs, at any depth up to MAX_DEPTH) logged."""

    def __init__(self, client_factory: Callable[[], TrackingClient]) -> None:
        self._factory = client_factory
        self._client: TrackingClient | None = None

    @property
    def client(self) -> TrackingClient:
        """The tracking client, built on first use."""
        if self._client is None:
            self._client = self._factory()
        return self._client

    def of(self, run_id: str) -> dict[str, float]:
        """The job's own metrics first; a step's metric fills a name the job itself did not log."""
        run = self.client.get_run(run_id)
        metrics = {k: float(v) for k, v in dict(run.data.metrics).items()}
        experiment = str(run.info.experiment_id)
        frontier = [run_id]
        for _ in range(MAX_DEPTH):
            children = [c for parent in frontier for c in self._children(experiment, parent)]
            for child in children:
                for key, value in sorted(dict(child.data.metrics).items()):
                    metrics.setdefault(key, float(value))
            frontier = [str(c.info.run_id) for c in children]
            if not frontier:
                break
        return metrics

    def _children(self, experiment: str, parent: str) -> list[Any]:
        query = f"tags.{PARENT_TAG} = '{parent}'"
        runs = self.client.search_runs([experiment], filter_string=query, max_results=1000)
        return sorted(runs, key=lambda r: (r.info.start_time or 0, str(r.info.run_id)))
