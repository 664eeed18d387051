"""azureml_endpoint targets in other workspaces (staging in test, production in prd) on the real azure-ai-ml SDK,
against the local ARM fake with a registry: each call goes to the target's workspace, the model comes from the
registry, the metrics from the target's endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.cd.azureml_endpoint.endpoints import AzureMLEndpoints
from shared.adapters.workspace.local import LocalWorkspace
from shared.app.azure import azureml_workspace
from shared.app.rollout_policy import PRODUCTION_TARGET, STAGING_TARGET, with_endpoints
from shared.app.settings import APP_ROOT, Settings
from shared.core.actions import ShiftTraffic, TriggerCD
from shared.core.clock import FixedClock
from shared.core.errors import UpstreamRejected
from shared.core.placement import Placement, placements
from shared.core.policy import Policy
from shared.core.rollout import deployment_name
from shared.engine.rollout import advance_rollouts
from tests.contract.arm_endpoints_fake import FakeOnlineEndpoints
from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, WS_PATH, StaticTokenCredential
from tests.contract.azureml_fake_arm import ws_path as path_of
from tests.contract.registry_fake import REGISTRY, FakeRegistry
from tests.functional.driver import Driver
from tests.functional.envs_kit import envs_policy

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
V1, V2 = deployment_name("credit-risk", "1"), deployment_name("credit-risk", "2")
FROM_REGISTRY = f"azureml://registries/{REGISTRY}/models/credit-risk/versions/{{}}"


def split_policy(**rollout: Any) -> Policy:
    """Dev (the app's workspace), test and prd with a registry; staging endpoints in test, production in prd."""
    return with_endpoints(envs_policy(WS_PATH), rollout, workspaces=("test", "prd"))


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRegistry]:
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
    with FakeRegistry(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        yield server


@pytest.fixture
def online(arm: FakeRegistry) -> FakeOnlineEndpoints:
    fake = FakeOnlineEndpoints(arm)
    fake.add_endpoint("credit-staging", workspace="ml-test")
    fake.add_endpoint("credit-prod", workspace="ml-prd")
    return fake


def split_endpoints(arm: FakeRegistry, policy: Policy, now: Any = lambda: T0) -> AzureMLEndpoints:
    """The adapter as the app builds it: one client per workspace (counted), a registry-scoped client."""
    targets = {n: t for n, t in policy.cd_targets.items() if t.kind == "azureml_endpoint"}
    return AzureMLEndpoints.build(
        (SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE),
        "",
        targets,
        APP_ROOT,
        clients=lambda scope: arm.client(scope[2]),
        registry_client=arm.registry_client,
        credential=StaticTokenCredential(),
        arm_url=arm.url,
        now=now,
        placements=placements(policy, WS_PATH),
    )


def copy_to_registry(arm: FakeRegistry, version: str, model_type: str = "mlflow_model") -> None:
    """A version registered in dev and shared to the registry through the SDK (what the registry copy does)."""
    arm.register_model("credit-risk", version, {}, model_type=model_type)
    arm.client().models.share(
        "credit-risk", version, share_with_name="credit-risk", share_with_version=version, registry_name=REGISTRY
    )


def cd(version: str, environment: str) -> TriggerCD:
    production = environment == "production"
    return TriggerCD(
        key=f"cd:credit-risk:{version}:{environment}",
        environment="production" if production else "staging",
        target=PRODUCTION_TARGET if production else STAGING_TARGET,
        model="credit-risk",
        version=version,
        approved_by="ml-lead@contoso.example" if production else None,
    )


def test_staging_in_test_deploys_the_registry_copy_on_the_test_workspaces_endpoint(
    arm: FakeRegistry, online: FakeOnlineEndpoints
) -> None:
    copy_to_registry(arm, "1")
    endpoints = split_endpoints(arm, split_policy())
    assert endpoints.deploy(cd("1", "staging")).ref == f"credit-staging/{V1}"
    [put] = arm.find("PUT", f"/onlineEndpoints/credit-staging/deployments/{V1}")
    assert put.path.lower().startswith(path_of("ml-test").lower())
    assert put.json()["properties"]["model"] == FROM_REGISTRY.format("1")
    assert "environmentId" not in put.json()["properties"]  # MLflow, as the registry says: no-code
    assert arm.find("GET", f"/registries/{REGISTRY}/models/credit-risk/versions/1")  # the type read there
    assert not arm.find("GET", f"{WS_PATH}/models/credit-risk/versions/1")
    assert [d.name for d in endpoints.view(STAGING_TARGET).deployments] == [V1] and online.problems == []


def test_production_in_prd_shifts_traffic_and_reads_metrics_of_the_prd_endpoint(
    arm: FakeRegistry, online: FakeOnlineEndpoints
) -> None:
    copy_to_registry(arm, "1")
    endpoints = split_endpoints(arm, split_policy())
    endpoints.deploy(cd("1", "production"))
    step = ShiftTraffic(
        key="rollout:credit-risk:1:full",
        target=PRODUCTION_TARGET,
        model="credit-risk",
        version="1",
        step="full",
        deployment=V1,
        traffic={V1: 100},
    )
    endpoints.shift(step, T0.isoformat())
    assert online.endpoints["credit-prod"]["properties"]["traffic"] == {V1: 100}
    online.serve_metrics(V1, requests_2xx=90, requests_5xx=10, latency_ms=80)
    health = endpoints.health(PRODUCTION_TARGET, V1, T0, T0 + timedelta(minutes=5))
    assert (health.requests, health.errors) == (100.0, 10.0)
    [metrics, *_] = arm.find("GET", "/providers/Microsoft.Insights/metrics")
    assert metrics.path.lower().startswith(f"{path_of('ml-prd')}/onlineEndpoints/credit-prod/".lower())
    writes = [r.path.lower() for r in arm.requests if r.method == "PUT" and "/onlineendpoints/" in r.path.lower()]
    assert writes and all(w.startswith(path_of("ml-prd").lower()) for w in writes) and online.problems == []


def test_a_custom_model_from_the_registry_needs_the_targets_environment_and_code(
    arm: FakeRegistry, online: FakeOnlineEndpoints
) -> None:
    copy_to_registry(arm, "1", model_type="custom_model")
    with pytest.raises(UpstreamRejected, match="custom_model model: CD target 'aml-staging' needs 'environment'"):
        split_endpoints(arm, split_policy()).deploy(cd("1", "staging"))
    assert not arm.find("PUT", "/deployments/")


def test_a_version_the_registry_lacks_is_refused_before_any_deployment(
    arm: FakeRegistry, online: FakeOnlineEndpoints
) -> None:
    arm.register_model("credit-risk", "1", {}, model_type="mlflow_model")  # in dev only: never copied
    with pytest.raises(UpstreamRejected, match="HTTP 404"):
        split_endpoints(arm, split_policy()).deploy(cd("1", "staging"))
    assert not arm.find("PUT", "/deployments/") and online.problems == []


def test_the_fake_refuses_a_deployment_in_test_that_names_a_version_test_does_not_have(
    arm: FakeRegistry, online: FakeOnlineEndpoints
) -> None:
    copy_to_registry(arm, "1")
    policy = split_policy()
    endpoints = split_endpoints(arm, policy)
    # the placement without its registry: the SDK expands azureml:credit-risk:1 in the test workspace
    endpoints.placements[STAGING_TARGET] = Placement(workspace_id=path_of("ml-test"), environment="test")
    with pytest.raises(UpstreamRejected, match="HTTP 400"):
        endpoints.deploy(cd("1", "staging"))
    assert online.problems == ["properties.model: workspace ml-test has no model version credit-risk/versions/1"]


def test_a_target_without_workspace_still_deploys_the_apps_own_version(
    arm: FakeRegistry, online: FakeOnlineEndpoints
) -> None:
    online.add_endpoint("credit-dev")
    arm.register_model("credit-risk", "1", {}, model_type="mlflow_model")
    policy = with_endpoints(envs_policy(WS_PATH), staging="credit-dev", workspaces=(None, "prd"))
    split_endpoints(arm, policy).deploy(cd("1", "staging"))
    [put] = arm.find("PUT", f"/onlineEndpoints/credit-dev/deployments/{V1}")
    assert put.path.lower().startswith(WS_PATH.lower())
    assert put.json()["properties"]["model"].lower() == f"{WS_PATH}/models/credit-risk/versions/1".lower()
    assert online.problems == []


class SharingWorkspace(LocalWorkspace):
    """The local workspace (jobs, events) whose registry copies are also made on the ARM fake, through the SDK."""

    arm: FakeRegistry
    settings: Settings

    def share_to_registry(self, model: str, version: str, registry: str) -> bool:
        self.arm.register_model(model, version, {}, model_type="mlflow_model")
        azureml_workspace(self.settings, client=self.arm.client()).share_to_registry(model, version, registry)
        return super().share_to_registry(model, version, registry)


def test_dev_to_registry_to_staging_in_test_then_production_in_prd_through_the_engine(
    arm: FakeRegistry, online: FakeOnlineEndpoints, settings: Settings, clock: FixedClock
) -> None:
    from shared.app import bootstrap

    policy = split_policy(mirror_percent=0, canary_percent=0)
    workspace = SharingWorkspace(settings.state_dir / "ws.db", APP_ROOT, WS_PATH)
    workspace.arm, workspace.settings = arm, settings
    endpoints = split_endpoints(arm, policy, now=clock.now)
    reactor = bootstrap.build(settings, clock=clock, policy=policy, workspace=workspace, endpoints=endpoints)
    drive = Driver(reactor)

    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    assert arm.holds("credit-risk", "1")
    [staged] = arm.find("PUT", f"/onlineEndpoints/credit-staging/deployments/{V1}")
    assert staged.path.lower().startswith(path_of("ml-test").lower())
    assert staged.json()["properties"]["model"] == FROM_REGISTRY.format("1")
    assert [o.id for o in advance_rollouts(reactor)] == ["rollout:credit-risk:1:staging"]
    drive.approve("1")
    assert [o.id for o in advance_rollouts(reactor)] == ["rollout:credit-risk:1:full"]
    assert [o.id for o in advance_rollouts(reactor)] == ["rollout:credit-risk:1:production"]
    [released] = arm.find("PUT", f"/onlineEndpoints/credit-prod/deployments/{V1}")
    assert released.path.lower().startswith(path_of("ml-prd").lower())
    assert released.json()["properties"]["model"] == FROM_REGISTRY.format("1")
    assert online.endpoints["credit-prod"]["properties"]["traffic"] == {V1: 100}
    assert drive.stage("1") == "production" and online.problems == []
    record = reactor.store.get_record("credit-risk", "1")
    assert record is not None
    assert [(s["to"], s.get("env")) for s in record.history if "kind" not in s][-3:] == [
        ("staging", "test"),
        ("approved", "test"),
        ("production", "prd"),
    ]
