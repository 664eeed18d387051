"""A new instance's warm-up: the Azure ML client and the job files' schemas loaded before any event, no request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.app import bootstrap
from shared.app.azure import azureml_workspace
from shared.app.settings import Settings
from shared.core.actions import SubmitJob
from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, FakeAzureML
from tests.contract.test_workspace_azureml import arm  # noqa: F401  (the ARM stand-in on HTTPS)


class CountingClient:
    """The real MLClient, built on first attribute use; counts builds."""

    def __init__(self, server: FakeAzureML) -> None:
        self.arm, self.built, self._client = server, 0, None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self.built += 1
            self._client = self.arm.client()
        return getattr(self._client, name)


def _settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "AZURE_RESOURCE_GROUP": RESOURCE_GROUP,
            "AZUREML_WORKSPACE_NAME": WORKSPACE,
            "REACTOR_STATE_DIR": str(tmp_path),
            "REACTOR_MLFLOW_TRACKING_URI": (tmp_path / "mlruns").as_uri(),
        }
    )


def test_warm_up_builds_the_client_and_loads_the_job_files_without_a_request(
    arm: FakeAzureML,  # noqa: F811
    tmp_path: Path,
) -> None:
    client = CountingClient(arm)
    workspace = azureml_workspace(_settings(tmp_path), client=client)  # type: ignore[arg-type]
    workspace.warm_up(["pipelines/offline_test.yml", "pipelines/missing.yml"])  # a bad file is its event's to report
    assert client.built == 1
    assert arm.requests == []
    arm.register_model("credit-risk", "7", {})
    job = SubmitJob(
        key="test-credit-risk-warm",
        purpose="offline_test",
        job_file="pipelines/offline_test.yml",
        job_name="test-credit-risk-warm",
        model="credit-risk",
        version="7",
    )
    assert workspace.submit_job(job).ref == "test-credit-risk-warm"
    assert client.built == 1 and arm.find("PUT", "/jobs/test-credit-risk-warm")


class RecordingWorkspace:
    def __init__(self) -> None:
        self.warmed: list[list[str]] = []

    def warm_up(self, job_files: list[str]) -> None:
        self.warmed.append(list(job_files))


def test_warm_hands_the_policy_job_files_to_the_workspace_once(tmp_path: Path) -> None:
    workspace = RecordingWorkspace()
    built = bootstrap.local(tmp_path, workspace=workspace)
    bootstrap.reset(built)
    try:
        assert bootstrap.warm() is True
    finally:
        bootstrap.reset()
    expected = {r.test_job for r in built.policy.models} | {r.retrain_job for r in built.policy.drift.rules}
    assert workspace.warmed == [sorted(expected)]
    assert "pipelines/offline_test.yml" in expected


def test_warm_in_local_mode_only_builds_the_reactor(tmp_path: Path) -> None:
    bootstrap.reset(bootstrap.local(tmp_path))
    try:
        assert bootstrap.warm() is False
    finally:
        bootstrap.reset()
