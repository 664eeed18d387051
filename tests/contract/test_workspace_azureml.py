"""What the real azure-ai-ml SDK sends for our jobs and tags, and how the adapter reads Azure ML's answers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.workspace.azureml.errors import translate
from shared.adapters.workspace.azureml.workspace import AzureMLWorkspace, WorkspaceTarget
from shared.app.azure import azureml_workspace
from shared.app.settings import APP_ROOT, Settings
from shared.core.actions import SubmitJob
from shared.core.errors import TransientError, UpstreamRejected
from tests.contract.arm_recorder import Answer
from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, WS_PATH, FakeAzureML
from tests.contract.test_workspace_contract import offline_test

JOB = "test-credit-risk-0123456789"


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzureML]:
    """FakeAzureML on HTTPS, trusted through the CA bundle."""
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    with FakeAzureML(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        yield server


@pytest.fixture
def workspace(arm: FakeAzureML, tmp_path: Path) -> AzureMLWorkspace:
    """The adapter on the real MLClient pointed at FakeAzureML."""
    settings = Settings.from_env(
        {
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "AZURE_RESOURCE_GROUP": RESOURCE_GROUP,
            "AZUREML_WORKSPACE_NAME": WORKSPACE,
            "REACTOR_STATE_DIR": str(tmp_path),
            "REACTOR_MLFLOW_TRACKING_URI": (tmp_path / "mlruns").as_uri(),
        }
    )
    return azureml_workspace(settings, client=arm.client())


def test_submit_puts_the_pipeline_job_with_the_model_and_champion_bound(
    workspace: AzureMLWorkspace, arm: FakeAzureML
) -> None:
    receipt = workspace.submit_job(offline_test(champion="5"))
    [put] = arm.find("PUT", f"{WS_PATH}/jobs/{JOB}")
    body = put.json()["properties"]
    assert put.headers["authorization"].startswith("Bearer ")
    assert put.query["api-version"]
    assert body["jobType"] == "Pipeline"
    assert body["experimentName"] == "mlops-reactor-offline-test"
    assert body["tags"] == {
        "mlops_reactor_event": "evt-1",
        "mlops_reactor_model": "credit-risk:7",
        "mlops_reactor_purpose": "offline_test",
    }
    assert body["inputs"]["model"] == {
        "jobInputType": "custom_model",
        "uri": f"{WS_PATH}/models/credit-risk/versions/7",
    }
    assert body["inputs"]["champion_model"] == {
        "jobInputType": "custom_model",
        "uri": f"{WS_PATH}/models/credit-risk/versions/5",
    }
    step = body["jobs"]["evaluate"]["inputs"]
    assert step["champion_model"]["value"] == "${{parent.inputs.champion_model}}"
    assert receipt.ref == JOB and JOB in receipt.url


def test_without_a_champion_the_optional_input_stays_unbound(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    workspace.submit_job(offline_test())
    body = arm.find("PUT", f"/jobs/{JOB}")[0].json()["properties"]
    assert "champion_model" not in body["inputs"]
    assert "champion_model" not in body["jobs"]["evaluate"]["inputs"]


def test_retrain_binds_the_model_name_and_registers_the_output_under_it(
    workspace: AzureMLWorkspace, arm: FakeAzureML
) -> None:
    job = SubmitJob(
        key="retrain-fraud-1",
        purpose="retrain",
        job_file="pipelines/retrain.yml",
        job_name="retrain-fraud-1",
        model="fraud",
        tags={"mlops_reactor_purpose": "retrain"},
    )
    workspace.submit_job(job)
    body = arm.find("PUT", "/jobs/retrain-fraud-1")[0].json()["properties"]
    assert body["inputs"]["model_name"] == {"jobInputType": "literal", "value": "fraud"}
    assert body["outputs"]["model"]["assetName"] == "fraud"
    assert body["outputs"]["model"]["jobOutputType"] == "custom_model"


def test_a_redelivery_finds_the_job_and_sends_no_second_put(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    workspace.submit_job(offline_test())
    workspace.submit_job(offline_test())
    assert len(arm.find("PUT", f"/jobs/{JOB}")) == 1


def test_already_exists_from_a_concurrent_submit_returns_that_job(
    workspace: AzureMLWorkspace, arm: FakeAzureML
) -> None:
    workspace.submit_job(offline_test())
    arm.hide_next_job_get()  # our look-up misses it, so the PUT races and gets "already exists"
    receipt = workspace.submit_job(offline_test())
    assert len(arm.find("PUT", f"/jobs/{JOB}")) == 2
    assert receipt.ref == JOB and "runs/" + JOB in receipt.url


def test_forbidden_names_the_role_to_grant(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    arm.fail_next("PUT", "/jobs/", Answer(403, {"error": {"code": "AuthorizationFailed", "message": "denied"}}))
    with pytest.raises(UpstreamRejected, match=f"AzureML Data Scientist role on workspace {WORKSPACE}"):
        workspace.submit_job(offline_test())


def test_throttling_is_transient_and_keeps_retry_after(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    arm.fail_next(
        "PUT",
        "/jobs/",
        Answer(429, {"error": {"code": "TooManyRequests", "message": "slow down"}}, {"Retry-After": "7"}),
    )
    with pytest.raises(TransientError) as caught:
        workspace.submit_job(offline_test())
    assert caught.value.retry_after == 7.0


def test_server_errors_are_transient(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    arm.fail_next("GET", "/models/", Answer(503, {"error": {"code": "ServiceUnavailable", "message": "busy"}}))
    with pytest.raises(TransientError):
        workspace.set_model_tags("credit-risk", "7", {"stage": "testing"})


def test_tagging_a_model_that_does_not_exist_is_rejected(workspace: AzureMLWorkspace) -> None:
    with pytest.raises(UpstreamRejected, match="404"):
        workspace.set_model_tags("nope", "1", {"stage": "testing"})


def test_set_model_tags_puts_the_merged_tags(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    arm.register_model("credit-risk", "7", {"owner": "ds"})
    workspace.set_model_tags("credit-risk", "7", {"mlops_reactor_stage": "testing"})
    [put] = arm.find("PUT", "/models/credit-risk/versions/7")
    assert put.json()["properties"]["tags"] == {"owner": "ds", "mlops_reactor_stage": "testing"}


def test_metrics_of_an_unknown_run_are_rejected(workspace: AzureMLWorkspace) -> None:
    with pytest.raises(UpstreamRejected):
        workspace.job_metrics("0" * 32)


def test_unreachable_service_is_transient() -> None:
    from azure.core.exceptions import ServiceRequestError

    err = translate(ServiceRequestError("connection refused"), "submitting job x", WORKSPACE)
    assert isinstance(err, TransientError)


def test_importing_the_adapters_loads_no_azure_sdk() -> None:
    code = (
        "import sys, shared.adapters.workspace.azureml.workspace, shared.adapters.store.table.store; "
        "names = ('azure.ai.ml', 'azure.data.tables', 'azure.identity', 'mlflow'); "
        "heavy = [m for m in names if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=APP_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("model_type", ["mlflow_model", "triton_model", "custom_model"])
def test_an_unknown_model_type_is_read_from_the_registered_models(
    workspace: AzureMLWorkspace, arm: FakeAzureML, model_type: str
) -> None:
    arm.register_model("credit-risk", "7", {}, model_type=model_type)
    arm.register_model("credit-risk", "5", {}, model_type=model_type)
    untyped = SubmitJob(**{**offline_test(champion="5").__dict__, "model_type": None})

    workspace.submit_job(untyped)

    assert arm.find("GET", f"{WS_PATH}/models/credit-risk/versions/7")
    body = arm.find("PUT", f"/jobs/{JOB}")[0].json()["properties"]
    assert body["inputs"]["model"]["jobInputType"] == model_type
    assert body["inputs"]["champion_model"]["jobInputType"] == model_type


def test_a_known_model_type_is_bound_without_reading_the_model(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    typed = SubmitJob(**{**offline_test().__dict__, "model_type": "mlflow_model"})
    workspace.submit_job(typed)
    assert arm.find("GET", "/models/") == []
    assert arm.find("PUT", f"/jobs/{JOB}")[0].json()["properties"]["inputs"]["model"]["jobInputType"] == "mlflow_model"


def test_a_model_that_cannot_be_read_names_what_to_fix(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    untyped = SubmitJob(**{**offline_test().__dict__, "model_type": None})
    with pytest.raises(UpstreamRejected, match="reading model credit-risk:7"):
        workspace.submit_job(untyped)
    assert arm.find("PUT", "/jobs/") == []


def test_endpoint_models_read_the_traffic_and_each_serving_deployments_model(
    workspace: AzureMLWorkspace, arm: FakeAzureML
) -> None:
    arm.add_online_endpoint("credit-risk-prod", {"blue": 90, "green": 10}, mirror={"shadow": 20}, tags={"team": "ds"})
    arm.add_online_deployment("credit-risk-prod", "blue", f"{WS_PATH}/models/credit-risk/versions/7")
    arm.add_online_deployment("credit-risk-prod", "green", "azureml:credit-risk:8")
    arm.add_online_deployment("credit-risk-prod", "shadow", "azureml://registries/shared/models/credit-risk/versions/9")
    arm.add_online_deployment("credit-risk-prod", "idle", f"{WS_PATH}/models/credit-risk/versions/1")

    view = workspace.endpoint_models("credit-risk-prod")

    assert view is not None and view.tags == {"team": "ds"}
    found = {d.deployment: (d.key, d.traffic, d.mirror) for d in view.deployments}
    assert found == {
        "blue": ("credit-risk:7", 90, 0),
        "green": ("credit-risk:8", 10, 0),
        "shadow": ("credit-risk:9", 0, 20),  # the registry copy of a version (the watchdog checks which registry)
    }
    # Read only, at the documented paths: the endpoint, its deployments' list (the SDK's), each serving deployment.
    assert {r.method for r in arm.requests} == {"GET"}
    endpoint = f"{WS_PATH}/onlineEndpoints/credit-risk-prod"
    assert len(arm.find("GET", endpoint)) == 5 and arm.find("GET", f"{endpoint}/deployments/blue")
    assert not arm.find("GET", f"{endpoint}/deployments/idle")


def test_endpoint_models_in_another_listed_workspace_read_there_as_the_same_identity(arm: FakeAzureML) -> None:
    prd = arm.add_workspace("ml-prd")
    arm.add_online_endpoint("credit-risk-prod", {"blue": 100}, workspace="ml-prd")
    registry_copy = "azureml://registries/shared/models/credit-risk/versions/7"
    arm.add_online_deployment("credit-risk-prod", "blue", registry_copy, workspace="ml-prd")
    scopes: list[str] = []

    def client_for(target: WorkspaceTarget) -> Any:
        scopes.append(target.workspace_id)
        return arm.client(workspace=target.workspace_name)

    home = WorkspaceTarget(subscription_id=SUBSCRIPTION, resource_group=RESOURCE_GROUP, workspace_name=WORKSPACE)
    workspace = AzureMLWorkspace(home, APP_ROOT, client=arm.client(), client_for=client_for)

    view = workspace.endpoint_models("credit-risk-prod", prd)

    assert view is not None and [(d.key, d.model_id) for d in view.deployments] == [("credit-risk:7", registry_copy)]
    assert scopes == [prd] and arm.find("GET", f"{prd}/onlineEndpoints/credit-risk-prod")
    assert workspace.endpoint_models("credit-risk-prod", WS_PATH) is None  # the app's own: not there
    assert scopes == [prd]


def test_endpoint_models_of_an_endpoint_that_is_gone_is_none(workspace: AzureMLWorkspace) -> None:
    assert workspace.endpoint_models("deleted-prod") is None


def test_endpoint_models_without_read_access_names_the_role(workspace: AzureMLWorkspace, arm: FakeAzureML) -> None:
    arm.fail_next("GET", "/onlineEndpoints/", Answer(403, {"error": {"code": "AuthorizationFailed", "message": "no"}}))
    with pytest.raises(UpstreamRejected, match="AzureML Data Scientist"):
        workspace.endpoint_models("credit-risk-prod")
