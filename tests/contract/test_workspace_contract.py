"""The Workspace contract, run against the embedded simulator and the Azure ML adapter (real MLClient, local ARM)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.workspace.azureml.metrics import TrackingClient, mlflow_client
from shared.adapters.workspace.local import LocalWorkspace
from shared.app.azure import azureml_workspace
from shared.app.settings import APP_ROOT, Settings
from shared.core.actions import SubmitJob
from shared.core.errors import UpstreamRejected
from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, WS_PATH, FakeAzureML


def offline_test(name: str = "test-credit-risk-0123456789", champion: str | None = None) -> SubmitJob:
    """The SubmitJob decide() makes for a new model version."""
    return SubmitJob(
        key=name,
        purpose="offline_test",
        job_file="pipelines/offline_test.yml",
        job_name=name,
        model="credit-risk",
        version="7",
        model_type="custom_model",
        champion_version=champion,
        tags={
            "mlops_reactor_event": "evt-1",
            "mlops_reactor_model": "credit-risk:7",
            "mlops_reactor_purpose": "offline_test",
        },
    )


class LocalHarness:
    """The embedded workspace and how to finish a job / read model tags on it."""

    def __init__(self, tmp: Path) -> None:
        self.workspace = LocalWorkspace(tmp / "ws.db", APP_ROOT, WS_PATH)

    def finish(self, job_name: str, metrics: dict[str, float]) -> str:
        self.workspace.complete_job(job_name, metrics=metrics)
        return job_name

    def register(self, model: str, version: str, tags: dict[str, str], by: tuple[str, str] | None = None) -> None:
        if by is not None:  # the simulator numbers versions itself and records only people
            registered = self.workspace.register_model(model, tags, by[0] if by[1] == "User" else None)
            assert str(registered["data"]["modelVersion"]) == version
            return
        self.workspace.set_model_tags(model, version, tags)

    def set_status(self, job_name: str, status: str) -> None:
        self.workspace.complete_job(job_name, status, emit=False)

    def tags(self, model: str, version: str) -> dict[str, str]:
        return self.workspace.model_tags(model, version)

    def serve(self, endpoint: str, traffic: dict[str, tuple[str, int]]) -> None:
        """Deployments (name -> model id, live share) on an endpoint, written outside the loop."""
        for name, (model_id, _) in traffic.items():
            self.workspace.endpoints.write_deployment(endpoint, name, model_id, traffic=None)
        self.workspace.endpoints.set_traffic(endpoint, {name: share for name, (_, share) in traffic.items()})


class AzureHarness:
    """The Azure adapter on the real MLClient against FakeAzureML, metrics in a real MLflow tracking store."""

    def __init__(self, tmp: Path, arm: FakeAzureML) -> None:
        self.arm = arm
        self.tracking_uri = (tmp / "mlruns").as_uri()
        settings = Settings.from_env(
            {
                "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
                "AZURE_RESOURCE_GROUP": RESOURCE_GROUP,
                "AZUREML_WORKSPACE_NAME": WORKSPACE,
                "REACTOR_STATE_DIR": str(tmp),
            }
        )
        self.workspace = azureml_workspace(settings, client=arm.client(), tracking=self._tracking)

    def _tracking(self) -> TrackingClient:
        return mlflow_client(self.tracking_uri)

    def finish(self, job_name: str, metrics: dict[str, float]) -> str:
        """A pipeline run with one step that logged the metrics (a child run, as Azure ML records it)."""
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=self.tracking_uri)
        experiment = client.create_experiment(f"exp-{job_name}")
        parent = client.create_run(experiment, run_name=job_name)
        step = client.create_run(experiment, run_name="evaluate", tags={"mlflow.parentRunId": parent.info.run_id})
        for key, value in metrics.items():
            client.log_metric(step.info.run_id, key, value)
        client.log_metric(parent.info.run_id, "pipeline_duration_s", 12.0)
        return str(parent.info.run_id)

    def register(self, model: str, version: str, tags: dict[str, str], by: tuple[str, str] | None = None) -> None:
        self.arm.register_model(model, version, tags, created_by=by)

    def set_status(self, job_name: str, status: str) -> None:
        self.arm.set_job_status(job_name, status)

    def tags(self, model: str, version: str) -> dict[str, str]:
        found = self.workspace.get_model(model, version)
        return dict(found.tags)

    def serve(self, endpoint: str, traffic: dict[str, tuple[str, int]]) -> None:
        self.arm.add_online_endpoint(endpoint, {name: share for name, (_, share) in traffic.items()})
        for name, (model_id, _) in traffic.items():
            self.arm.add_online_deployment(endpoint, name, model_id)


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzureML]:
    """FakeAzureML on HTTPS with a self-signed certificate the SDK trusts through its CA bundle."""
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")  # MLClient sets it process-wide; restored after
    with FakeAzureML(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        yield server


@pytest.fixture(params=["local", "azureml"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Each Workspace implementation with its test hooks."""
    if request.param == "local":
        return LocalHarness(tmp_path)
    # mlflow-skinny has no SQL store; its file store stands in for the workspace's tracking server.
    request.getfixturevalue("monkeypatch").setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return AzureHarness(tmp_path, request.getfixturevalue("arm"))


def test_submit_is_idempotent_by_name(harness: Any) -> None:
    first = harness.workspace.submit_job(offline_test())
    second = harness.workspace.submit_job(offline_test())
    assert first.ref == second.ref == "test-credit-risk-0123456789"
    assert second.url


def test_metrics_of_a_finished_job_come_back_including_its_steps(harness: Any) -> None:
    harness.workspace.submit_job(offline_test())
    run = harness.finish("test-credit-risk-0123456789", {"auc": 0.91, "latency_ms": 40.0, "champion_auc": 0.88})
    metrics = harness.workspace.job_metrics(run)
    assert metrics["auc"] == pytest.approx(0.91)
    assert metrics["champion_auc"] == pytest.approx(0.88)
    assert metrics["latency_ms"] == pytest.approx(40.0)


def test_model_tags_merge(harness: Any) -> None:
    harness.register("credit-risk", "7", {"owner": "ds"})
    harness.workspace.set_model_tags("credit-risk", "7", {"mlops_reactor_stage": "testing"})
    harness.workspace.set_model_tags("credit-risk", "7", {"mlops_reactor_stage": "candidate", "gate": "passed"})
    assert harness.tags("credit-risk", "7") == {"owner": "ds", "mlops_reactor_stage": "candidate", "gate": "passed"}


def test_submit_of_a_missing_job_file_is_rejected(harness: Any) -> None:
    job = SubmitJob(key="k", purpose="retrain", job_file="pipelines/nope.yml", job_name="retrain-x", model="m")
    with pytest.raises(UpstreamRejected, match=r"nope\.yml"):
        harness.workspace.submit_job(job)


def test_model_creator_is_the_person_who_registered_it_else_none(harness: Any) -> None:
    harness.register("credit-risk", "1", {}, by=("Ana@contoso.example", "User"))
    harness.register("fraud", "1", {}, by=("3f2a-app-id", "Application"))
    assert harness.workspace.model_creator("credit-risk", "1") == "Ana@contoso.example"
    assert harness.workspace.model_creator("fraud", "1") is None  # an app registered it: no person to compare
    assert harness.workspace.model_creator("credit-risk", "9") is None  # not in the registry


def test_endpoint_models_name_each_live_deployments_model_version(harness: Any) -> None:
    harness.serve(
        "credit-risk-prod",
        {
            "blue": ("azureml:credit-risk:7", 80),
            "green": ("azureml:credit-risk:8", 20),
            "idle": ("azureml:credit-risk:1", 0),  # serves nobody: not listed
        },
    )
    view = harness.workspace.endpoint_models("credit-risk-prod")
    assert view is not None and view.endpoint == "credit-risk-prod"
    assert [(d.deployment, d.model, d.version, d.traffic) for d in view.deployments] == [
        ("blue", "credit-risk", "7", 80),
        ("green", "credit-risk", "8", 20),
    ]


def test_endpoint_models_of_an_unknown_endpoint_is_none(harness: Any) -> None:
    assert harness.workspace.endpoint_models("nope-prod") is None


@pytest.mark.parametrize("final", ["Completed", "Failed", "Canceled"])
def test_job_status_reads_a_submitted_job_and_its_final_status(harness: Any, final: str) -> None:
    name = "test-credit-risk-0123456789"
    harness.workspace.submit_job(offline_test(name))
    before = harness.workspace.job_status(name)
    assert before is not None and before.status not in ("Completed", "Failed", "Canceled")
    assert before.experiment
    harness.set_status(name, final)
    after = harness.workspace.job_status(name)
    assert after is not None and after.status == final and after.experiment == before.experiment


def test_job_status_of_a_job_the_workspace_does_not_know_is_none(harness: Any) -> None:
    assert harness.workspace.job_status("test-never-submitted-0000000000") is None
