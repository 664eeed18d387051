"""The azureml_endpoint target on the real azure-ai-ml SDK and Azure Monitor REST, against the local ARM fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.adapters.cd.azureml_endpoint.endpoints import AzureMLEndpoints
from shared.app.rollout_policy import PRODUCTION_TARGET, STAGING_TARGET, with_endpoints
from shared.app.settings import APP_ROOT
from shared.core.actions import ShiftTraffic, TriggerCD
from shared.core.errors import TransientError, UpstreamRejected
from shared.core.policy import load_policy
from shared.core.rollout import deployment_name
from shared.core.rollout_endpoints import TAG_STEP
from tests.contract.arm_endpoints_fake import FakeOnlineEndpoints
from tests.contract.arm_recorder import Answer
from tests.contract.azureml_fake_arm import (
    RESOURCE_GROUP,
    SUBSCRIPTION,
    WORKSPACE,
    WS_PATH,
    FakeAzureML,
    StaticTokenCredential,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
V7 = deployment_name("credit-risk", "7")
V6 = deployment_name("credit-risk", "6")


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzureML]:
    """FakeAzureML on HTTPS, trusted through the CA bundle."""
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
    with FakeAzureML(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        yield server


@pytest.fixture
def online(arm: FakeAzureML) -> FakeOnlineEndpoints:
    fake = FakeOnlineEndpoints(arm)
    fake.add_endpoint("credit-staging")
    fake.add_endpoint("credit-prod")
    arm.register_model("credit-risk", "6", {}, model_type="mlflow_model")
    arm.register_model("credit-risk", "7", {}, model_type="mlflow_model")
    arm.register_model("fraud", "1", {}, model_type="custom_model")
    return fake


def endpoints_for(arm: FakeAzureML, **target: str) -> AzureMLEndpoints:
    policy = with_endpoints(load_policy(APP_ROOT / "policy.yaml"), {"mirror_percent": 20, "max_latency_ms": 300})
    targets = {n: t for n, t in policy.cd_targets.items() if t.kind == "azureml_endpoint"}
    if target:
        targets = {n: t.model_copy(update=target) for n, t in targets.items()}
    return AzureMLEndpoints.build(
        (SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE),
        "",
        targets,
        APP_ROOT,
        client=arm.client(),
        credential=StaticTokenCredential(),
        arm_url=arm.url,
        now=lambda: T0,
    )


@pytest.fixture
def endpoints(arm: FakeAzureML, online: FakeOnlineEndpoints) -> AzureMLEndpoints:
    return endpoints_for(arm)


def request(version: str = "7", environment: str = "staging", model: str = "credit-risk") -> TriggerCD:
    target = STAGING_TARGET if environment == "staging" else PRODUCTION_TARGET
    approver = "ml-lead@contoso.example" if environment == "production" else None
    return TriggerCD(
        key=f"cd:{model}:{version}:{environment}",
        environment=environment,  # type: ignore[arg-type]
        target=target,
        model=model,
        version=version,
        approved_by=approver,
    )


def test_staging_puts_a_no_code_managed_deployment_of_the_mlflow_model_without_waiting(
    endpoints: AzureMLEndpoints, arm: FakeAzureML, online: FakeOnlineEndpoints
) -> None:
    receipt = endpoints.deploy(request())
    [put] = arm.find("PUT", f"/onlineEndpoints/credit-staging/deployments/{V7}")
    body = put.json()
    assert body["properties"]["endpointComputeType"] == "Managed"
    assert body["properties"]["model"].lower() == f"{WS_PATH}/models/credit-risk/versions/7".lower()
    assert body["properties"]["instanceType"] == "Standard_DS3_v2" and body["sku"]["capacity"] == 1
    assert "environmentId" not in body["properties"] and "codeConfiguration" not in body["properties"]
    assert body["tags"] == {
        "mlops_reactor_model": "credit-risk",
        "mlops_reactor_version": "7",
        "mlops_reactor_environment": "staging",
        "mlops_reactor_requested_at": T0.isoformat(),
    }
    assert receipt.ref == f"credit-staging/{V7}" and online.problems == []


def test_a_custom_model_needs_the_policy_environment_and_code(endpoints: AzureMLEndpoints, arm: FakeAzureML) -> None:
    with pytest.raises(UpstreamRejected, match="needs 'environment' and 'code'"):
        endpoints.deploy(request("1", model="fraud"))
    assert arm.find("PUT", "/deployments/") == []


def test_a_custom_model_deploys_with_the_environment_and_scoring_code(
    arm: FakeAzureML, online: FakeOnlineEndpoints
) -> None:
    custom = endpoints_for(arm, environment="azureml:sklearn-serving:3", code="pipelines")
    custom.deploy(request("1", model="fraud"))
    [put] = arm.find("PUT", "/deployments/")
    props = put.json()["properties"]
    assert props["environmentId"].lower().endswith("/environments/sklearn-serving/versions/3")
    assert props["codeConfiguration"]["scoringScript"] == "score.py" and online.problems == []


def test_the_view_shows_our_tagged_deployments_with_their_provisioning_state(
    endpoints: AzureMLEndpoints, online: FakeOnlineEndpoints
) -> None:
    online.script(V7, "Creating")
    endpoints.deploy(request())
    [creating] = endpoints.view(STAGING_TARGET).deployments
    assert (creating.model, creating.version, creating.environment, creating.state) == (
        "credit-risk",
        "7",
        "staging",
        "creating",
    )
    online.script(V7, "Failed")
    [failed] = endpoints.view(STAGING_TARGET).deployments
    assert failed.state == "failed" and failed.error


def test_quota_refusal_is_permanent_and_names_it_and_a_503_is_transient(
    endpoints: AzureMLEndpoints, arm: FakeAzureML
) -> None:
    quota = {"error": {"code": "QuotaExceeded", "message": "Not enough quota available for Standard_DS3_v2"}}
    arm.fail_next("PUT", "/deployments/", Answer(400, quota))
    with pytest.raises(UpstreamRejected, match="Not enough quota"):
        endpoints.deploy(request())
    arm.fail_next("PUT", "/deployments/", Answer(503, {"error": {"code": "ServiceUnavailable", "message": "busy"}}))
    with pytest.raises(TransientError):
        endpoints.deploy(request())


def _live(endpoints: AzureMLEndpoints) -> None:
    """v6 takes all production traffic; v7 is deployed beside it."""
    endpoints.deploy(request("6", "production"))
    full = ShiftTraffic(
        key="rollout:credit-risk:6:full",
        target=PRODUCTION_TARGET,
        model="credit-risk",
        version="6",
        step="full",
        deployment=V6,
        traffic={V6: 100},
    )
    endpoints.shift(full, T0.isoformat())
    endpoints.deploy(request("7", "production"))


def test_a_canary_step_puts_the_traffic_split_and_step_tags_in_one_endpoint_update_once(
    endpoints: AzureMLEndpoints, arm: FakeAzureML, online: FakeOnlineEndpoints
) -> None:
    _live(endpoints)
    canary = ShiftTraffic(
        key="rollout:credit-risk:7:canary",
        target=PRODUCTION_TARGET,
        model="credit-risk",
        version="7",
        step="canary",
        deployment=V7,
        traffic={V6: 90, V7: 10},
    )
    at = (T0 + timedelta(minutes=10)).isoformat()
    endpoints.shift(canary, at)
    endpoints.shift(canary, at)  # a retry after a crash: already applied
    puts = arm.find("PUT", "/onlineEndpoints/credit-prod")
    puts = [p for p in puts if "/deployments/" not in p.path]
    assert len(puts) == 2  # the full step of v6, then the canary once
    body = puts[-1].json()
    assert body["properties"]["traffic"] == {V6: 90, V7: 10}
    assert body["tags"][TAG_STEP] == f"{V7}:canary" and body["tags"]["mlops_reactor_step_at"] == at
    view = endpoints.view(PRODUCTION_TARGET)
    assert view.traffic == {V6: 90, V7: 10} and online.problems == []


def test_mirror_then_retire_deletes_only_the_named_old_deployment(
    endpoints: AzureMLEndpoints, arm: FakeAzureML, online: FakeOnlineEndpoints
) -> None:
    _live(endpoints)
    mirror = ShiftTraffic(
        key="k1",
        target=PRODUCTION_TARGET,
        model="credit-risk",
        version="7",
        step="mirror",
        deployment=V7,
        traffic={V6: 100},
        mirror={V7: 20},
    )
    endpoints.shift(mirror, T0.isoformat())
    assert endpoints.view(PRODUCTION_TARGET).mirror == {V7: 20}
    full = ShiftTraffic(
        key="k2",
        target=PRODUCTION_TARGET,
        model="credit-risk",
        version="7",
        step="full",
        deployment=V7,
        traffic={V6: 0, V7: 100},
    )
    endpoints.shift(full, T0.isoformat())
    retire = ShiftTraffic(
        key="k3",
        target=PRODUCTION_TARGET,
        model="credit-risk",
        version="7",
        step="retire",
        deployment=V7,
        traffic={V7: 100},
        delete=(V6,),
    )
    endpoints.shift(retire, T0.isoformat())
    assert len(arm.find("DELETE", f"/deployments/{V6}")) == 1
    assert [d.name for d in endpoints.view(PRODUCTION_TARGET).deployments] == [V7] and online.problems == []


def test_health_reads_requests_5xx_and_the_latency_percentile_from_azure_monitor(
    endpoints: AzureMLEndpoints, arm: FakeAzureML, online: FakeOnlineEndpoints
) -> None:
    online.serve_metrics(V7, requests_2xx=180, requests_5xx=20, latency_ms=420)
    health = endpoints.health(PRODUCTION_TARGET, V7, T0, T0 + timedelta(minutes=10))
    assert (health.requests, health.errors, health.latency_ms, health.percentile) == (200, 20, 420, "P95")
    [by_class, latency] = arm.find("GET", "/providers/Microsoft.Insights/metrics")
    assert (
        by_class.path.lower() == f"{WS_PATH}/onlineEndpoints/credit-prod/providers/microsoft.insights/metrics".lower()
    )
    assert by_class.query["metricnames"] == ["RequestsPerMinute"]
    assert by_class.query["$filter"] == [f"deployment eq '{V7}' and statusCodeClass eq '*'"]
    assert by_class.query["timespan"] == ["2026-11-22T09:00:00Z/2026-11-22T09:10:00Z"]
    assert latency.query["metricnames"] == ["RequestLatency_P95"] and latency.query["aggregation"] == ["Average"]
    assert by_class.headers["authorization"].startswith("Bearer ")


def test_metrics_refused_for_want_of_a_role_say_which(endpoints: AzureMLEndpoints, arm: FakeAzureML) -> None:
    arm.fail_next("GET", "/metrics", Answer(403, {"error": {"code": "AuthorizationFailed", "message": "no"}}))
    with pytest.raises(UpstreamRejected, match="Monitoring Reader"):
        endpoints.health(PRODUCTION_TARGET, V7, T0, T0 + timedelta(minutes=1))
