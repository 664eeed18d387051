"""pipelines/*.yml are real Azure ML pipeline jobs: load_job accepts them with our inputs bound, offline."""

from __future__ import annotations

import py_compile
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.workspace.azureml.workspace import AzureMLWorkspace
from shared.app.azure import azureml_workspace
from shared.app.settings import APP_ROOT, Settings
from shared.core.actions import SubmitJob
from tests.contract.test_workspace_contract import offline_test

PIPELINES = APP_ROOT / "pipelines"


@pytest.fixture
def workspace(tmp_path: Path) -> AzureMLWorkspace:
    """The adapter; `load` never touches the client."""
    return azureml_workspace(Settings.from_env({"REACTOR_STATE_DIR": str(tmp_path)}), client=object())  # type: ignore[arg-type]


def as_dict(job: Any) -> dict[str, Any]:
    """The loaded job as the SDK would write it back to YAML."""
    loaded: dict[str, Any] = job._to_dict()
    return loaded


def test_offline_test_binds_model_champion_tags_and_name(workspace: AzureMLWorkspace) -> None:
    job = workspace.load(offline_test(champion="5"))
    spec = as_dict(job)
    assert type(job).__name__ == "PipelineJob"
    assert job.name == "test-credit-risk-0123456789"
    assert job.experiment_name == "mlops-reactor-offline-test"
    assert job.tags == {
        "mlops_reactor_event": "evt-1",
        "mlops_reactor_model": "credit-risk:7",
        "mlops_reactor_purpose": "offline_test",
    }
    assert spec["inputs"]["model"] == {"type": "custom_model", "path": "azureml:credit-risk:7"}
    assert spec["inputs"]["champion_model"] == {"type": "custom_model", "path": "azureml:credit-risk:5"}
    assert spec["inputs"]["test_data"]["type"] == "uri_folder"
    step = spec["jobs"]["evaluate"]
    assert step["inputs"]["model"]["path"] == "${{parent.inputs.model}}"
    assert step["inputs"]["champion_model"]["path"] == "${{parent.inputs.champion_model}}"
    assert step["component"]["code"].endswith("src")


def test_offline_test_takes_the_policy_model_type(workspace: AzureMLWorkspace) -> None:
    base = offline_test()
    job = SubmitJob(**{**base.__dict__, "model_type": "mlflow_model"})
    assert as_dict(workspace.load(job))["inputs"]["model"] == {"type": "mlflow_model", "path": "azureml:credit-risk:7"}


def test_offline_test_without_champion_leaves_the_optional_input_unbound(workspace: AzureMLWorkspace) -> None:
    spec = as_dict(workspace.load(offline_test()))
    assert "champion_model" not in spec["inputs"]
    assert "champion_model" not in spec["jobs"]["evaluate"]["inputs"]


def test_retrain_binds_training_data_model_name_and_registered_output(workspace: AzureMLWorkspace) -> None:
    job = workspace.load(
        SubmitJob(
            key="r",
            purpose="retrain",
            job_file="pipelines/retrain.yml",
            job_name="retrain-fraud-1",
            model="fraud",
            tags={"mlops_reactor_event": "evt-9", "mlops_reactor_purpose": "retrain"},
        )
    )
    spec = as_dict(job)
    assert job.name == "retrain-fraud-1"
    assert job.experiment_name == "mlops-reactor-retrain"
    assert job.tags == {"mlops_reactor_event": "evt-9", "mlops_reactor_purpose": "retrain"}
    assert spec["inputs"]["model_name"] == "fraud"
    assert spec["inputs"]["training_data"]["type"] == "uri_folder"
    assert spec["outputs"]["model"] == {"type": "custom_model", "name": "fraud"}
    assert spec["jobs"]["train"]["outputs"]["model"] == "${{parent.outputs.model}}"


@pytest.mark.parametrize("yml", ["offline_test.yml", "retrain.yml"])
def test_the_sdk_validates_the_pipeline_offline(yml: str) -> None:
    from azure.ai.ml import load_job

    result = load_job(PIPELINES / yml)._validate()
    assert result.passed, result.error_messages


@pytest.mark.parametrize("component", ["evaluate.yml", "train.yml"])
def test_components_load_and_their_sources_compile(component: str) -> None:
    from azure.ai.ml import load_component

    loaded = load_component(PIPELINES / "components" / component)
    assert loaded.type == "command"
    script = loaded.command.split()[1]
    py_compile.compile(str(PIPELINES / "src" / script), doraise=True)
