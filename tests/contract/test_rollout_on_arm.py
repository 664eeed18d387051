"""The whole rollout through the engine on the real azure-ai-ml SDK and Monitor REST, against the local ARM fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.core.rollout import deployment_name
from shared.engine.rollout import advance_rollouts
from tests.contract.arm_endpoints_fake import FakeOnlineEndpoints
from tests.contract.azureml_fake_arm import FakeAzureML
from tests.contract.test_endpoints_azureml import endpoints_for
from tests.functional.driver import Driver
from tests.functional.rollout_kit import endpoint_reactor

V1, V2 = deployment_name("credit-risk", "1"), deployment_name("credit-risk", "2")


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzureML]:
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
    with FakeAzureML(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        yield server


def test_a_canary_that_errors_on_azure_ml_is_rolled_back_with_the_numbers_azure_monitor_gave(
    arm: FakeAzureML, settings: Settings, clock: FixedClock
) -> None:
    online = FakeOnlineEndpoints(arm)
    online.add_endpoint("credit-staging")
    online.add_endpoint("credit-prod")
    for version in ("1", "2"):
        arm.register_model("credit-risk", version, {}, model_type="mlflow_model")
    endpoints = endpoints_for(arm)
    reactor = endpoint_reactor(settings, clock, {"endpoints": endpoints}, mirror_percent=0)
    drive = Driver(reactor)

    def tick(**later: float) -> list[str]:
        if later:
            clock.advance(**later)
        return [o.id for o in advance_rollouts(reactor)]

    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    assert tick() == ["rollout:credit-risk:1:staging"]
    drive.approve("1")
    assert tick() == ["rollout:credit-risk:1:full"]
    assert tick() == ["rollout:credit-risk:1:production"] and drive.stage("1") == "production"

    drive.register()
    drive.finish("offline_test", auc=0.95, latency_ms=100, champion_auc=0.9, champion_latency_ms=100)
    assert tick() == ["rollout:credit-risk:2:staging"]
    drive.approve("2")
    assert tick() == ["rollout:credit-risk:2:canary"]
    assert online.endpoints["credit-prod"]["properties"]["traffic"] == {V1: 90, V2: 10}
    online.serve_metrics(V2, requests_2xx=150, requests_5xx=50, latency_ms=120)
    assert tick(minutes=3) == ["rollout:credit-risk:2:rollback", "rollout:credit-risk:2:cleanup"]
    assert online.endpoints["credit-prod"]["properties"]["traffic"] == {V1: 100}
    assert drive.stage("2") == "rejected" and drive.stage("1") == "production"
    [page] = [n for n in drive.notices("rollout_rolled_back") if n.channel == "oncall"]
    assert (page.facts["Requests"], page.facts["Errors (5xx)"]) == ("200", "50")
    assert page.facts["Breach"] == "error rate 25.0% > 1.0% (50 of 200 requests)"
    assert tick(minutes=60) == [] and online.problems == []
    assert list(online.deployments["credit-staging"]) == [V1]  # the rejected version's staging deployment: deleted
