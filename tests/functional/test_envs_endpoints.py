"""Dev / test / prd on Azure ML endpoints: a dev version copied to the registry, staged on an endpoint of the test
workspace, approved, rolled out on an endpoint of the prd workspace; each step carries its environment."""

from __future__ import annotations

import pytest

from shared.app import bootstrap
from shared.app.rollout_policy import PRODUCTION_TARGET, STAGING_TARGET, with_endpoints
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from tests.functional.envs_kit import REGISTRY, envs_policy, sibling
from tests.functional.rollout_kit import FAST, RolloutDriver

FROM_REGISTRY = f"azureml://registries/{REGISTRY}/models/credit-risk/versions/{{}}"


@pytest.fixture
def drive(settings: Settings, clock: FixedClock) -> RolloutDriver:
    policy = with_endpoints(envs_policy(settings.workspace_id), FAST, workspaces=("test", "prd"))
    return RolloutDriver(bootstrap.build(settings, clock=clock, policy=policy), clock)


def _steps(drive: RolloutDriver, version: str) -> list[tuple[str, str | None]]:
    record = drive.reactor.store.get_record("credit-risk", version)
    assert record is not None
    return [(str(step["to"]), step.get("env")) for step in record.history if "kind" not in step]


def test_a_dev_version_goes_to_the_registry_then_staging_in_test_then_production_in_prd(
    drive: RolloutDriver, settings: Settings
) -> None:
    drive.candidate("1")
    assert drive.workspace.registry_models(REGISTRY) == [("credit-risk", "1")]
    staged = drive.endpoints.deployments(STAGING_TARGET)[drive.name("1")]
    assert staged["workspace"] == sibling(settings.workspace_id, "ml-test") and staged["workspace_env"] == "test"
    assert staged["model_ref"] == FROM_REGISTRY.format("1")
    [reported] = drive.tick()
    assert reported.env == "test" and drive.stage("1") == "staging"
    assert drive.approve("1").env == "test"
    [full] = drive.tick()
    assert full.env == "prd" and drive.prod() == {"1": 100}
    released = drive.endpoints.deployments(PRODUCTION_TARGET)[drive.name("1")]
    assert released["workspace_env"] == "prd" and released["model_ref"] == FROM_REGISTRY.format("1")
    [production] = drive.tick()
    assert production.env == "prd" and drive.stage("1") == "production"
    assert _steps(drive, "1") == [
        ("testing", "dev"),
        ("candidate", "dev"),
        ("staging", "test"),
        ("approved", "test"),
        ("production", "prd"),
    ]
    entries = drive.reactor.store.ledger(model="credit-risk")
    envs = [(e.event_id, (e.detail or {}).get("env")) for e in entries]
    assert ("rollout:credit-risk:1:full", "prd") in envs and {env for _, env in envs} == {"dev", "test", "prd"}


def test_a_rolled_back_canary_is_attributed_to_prd_and_its_staging_cleanup_to_test(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    drive.tick()
    drive.tick(minutes=10)
    assert drive.steps()[-1] == "2:canary" and drive.prod() == {"1": 90, "2": 10}
    drive.endpoints.script(f"health:{drive.name('2')}", requests=200.0, errors=50.0)
    rolled = drive.tick(minutes=3)
    assert [(o.id, o.env) for o in rolled] == [
        ("rollout:credit-risk:2:rollback", "prd"),  # on the production endpoint, in prd
        ("rollout:credit-risk:2:cleanup", "test"),  # its staging deployment deleted, in test
    ]
    assert drive.stage("2") == "rejected" and drive.prod() == {"1": 100}
    assert drive.workspace.registry_models(REGISTRY) == [("credit-risk", "1"), ("credit-risk", "2")]
