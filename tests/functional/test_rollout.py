"""Azure ML online endpoints as the CD target: staging, then mirror -> canary -> 100 % with bakes, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.engine.reconcile import reconcile
from tests.functional.conftest import StoreFactory
from tests.functional.rollout_kit import RolloutDriver, endpoint_reactor


@pytest.fixture
def drive(settings: Settings, clock: FixedClock) -> RolloutDriver:
    return RolloutDriver(endpoint_reactor(settings, clock), clock)


def test_staging_is_a_deployment_on_the_staging_endpoint_reported_once_it_is_provisioned(
    drive: RolloutDriver,
) -> None:
    drive.candidate("1")
    assert drive.stage("1") == "candidate"
    [deployment] = drive.endpoints.view("aml-staging").deployments
    assert (deployment.model, deployment.version, deployment.environment) == ("credit-risk", "1", "staging")
    [outcome] = drive.tick()
    assert outcome.type == "MLOpsReactor.DeploymentReported" and outcome.outcome == "handled"
    assert drive.stage("1") == "staging"
    assert drive.notices("approval_requested")
    assert drive.tick() == []  # a second look changes nothing


def test_first_version_goes_straight_to_full_traffic_then_production(drive: RolloutDriver) -> None:
    drive.candidate("1")
    drive.tick()
    drive.approve("1")
    assert drive.stage("1") == "approved"
    [full] = drive.tick()
    assert full.actions[0]["kind"] == "shift_traffic" and drive.steps() == ["1:full"]
    assert drive.prod() == {"1": 100}
    [report] = drive.tick()
    assert report.type == "MLOpsReactor.DeploymentReported" and drive.stage("1") == "production"
    assert drive.tick() == []


def test_a_challenger_is_mirrored_then_canaried_after_each_bake_then_takes_all_traffic(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    drive.tick()
    assert drive.steps()[-1] == "2:mirror"
    view = drive.endpoints.view("aml-production")
    assert view.mirror == {drive.name("2"): 20} and drive.prod() == {"1": 100}
    assert drive.tick(minutes=9) == []  # still baking
    drive.tick(minutes=1)
    assert drive.steps()[-1] == "2:canary" and drive.prod() == {"1": 90, "2": 10}
    assert drive.endpoints.view("aml-production").mirror == {}
    assert drive.tick(minutes=29) == []
    drive.tick(minutes=1)
    assert drive.steps()[-1] == "2:full" and drive.prod() == {"2": 100}
    drive.tick()
    assert drive.stage("2") == "production" and drive.stage("1") == "superseded"
    drive.tick()
    assert drive.steps()[-1] == "2:retire"
    assert [d.version for d in drive.endpoints.view("aml-production").deployments] == ["2"]
    assert drive.tick(minutes=60) == []


def test_errors_during_the_canary_roll_traffic_back_and_keep_the_champion(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    drive.tick()
    drive.tick(minutes=10)
    assert drive.prod() == {"1": 90, "2": 10}
    drive.endpoints.script(f"health:{drive.name('2')}", requests=400, errors=36, latency_ms=80)
    rollback, cleanup = drive.tick(minutes=5)
    assert (rollback.id, cleanup.id) == ("rollout:credit-risk:2:rollback", "rollout:credit-risk:2:cleanup")
    assert drive.steps()[-1] == "2:rollback" and drive.steps("aml-staging") == ["2:cleanup"]
    assert drive.prod() == {"1": 100}
    assert drive.stage("2") == "rejected" and drive.stage("1") == "production"
    [page] = [n for n in drive.notices("rollout_rolled_back") if n.channel == "oncall"]
    assert page.facts["Requests"] == "400" and page.facts["Errors (5xx)"] == "36"
    assert "error rate 9.0% > 1.0%" in page.facts["Breach"] and page.facts["Champion"] == "credit-risk:1"
    assert rollback.notes == ("Rollout of credit-risk:2 rolled back: error rate 9.0% > 1.0% (36 of 400 requests)",)
    record = drive.reactor.store.get_record("credit-risk", "2")
    assert record is not None and record.history[-1]["reason"].startswith("rolled back: error rate 9.0%")
    assert drive.tick(minutes=60) == []  # stopped: no further step, no second page


def test_latency_over_the_threshold_during_the_mirror_rolls_back(settings: Settings, clock: FixedClock) -> None:
    drive = RolloutDriver(endpoint_reactor(settings, clock, max_latency_ms=300, latency_percentile="P99"), clock)
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    drive.tick()
    drive.endpoints.script(f"health:{drive.name('2')}", requests=50, errors=0, latency_ms=900)
    drive.tick(minutes=2)
    assert drive.steps()[-1] == "2:rollback" and drive.endpoints.view("aml-production").mirror == {}
    [page] = [n for n in drive.notices("rollout_rolled_back") if n.channel == "oncall"]
    assert page.facts["Breach"] == "latency P99 900 ms > 300 ms"


def test_a_rollout_and_a_rollback_on_each_store(
    settings: Settings, clock: FixedClock, tmp_path: Path, shared_state: StoreFactory
) -> None:
    drive = RolloutDriver(endpoint_reactor(settings, clock, {"store": shared_state(tmp_path)}), clock)
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    for minutes in (0, 10, 30, 0, 0):
        drive.tick(minutes=minutes)
    assert drive.steps() == ["1:full", "2:mirror", "2:canary", "2:full", "2:retire"]
    assert drive.stage("2") == "production" and drive.stage("1") == "superseded"
    drive.candidate("3", auc=0.97, champion_auc=0.95)
    drive.tick()
    drive.approve("3")
    drive.tick()
    drive.endpoints.script(f"health:{drive.name('3')}", requests=100, errors=5)
    drive.tick(minutes=1)
    assert drive.steps()[-1] == "3:rollback" and drive.prod() == {"2": 100} and drive.stage("3") == "rejected"
    assert drive.steps("aml-staging") == ["1:cleanup", "3:cleanup"]
    ledger = drive.reactor.store.ledger(model="credit-risk", version="3")
    assert [e.event_id for e in ledger[-2:]] == ["rollout:credit-risk:3:rollback", "rollout:credit-risk:3:cleanup"]
    detail = ledger[-2].detail
    assert detail and detail["transitions"][0]["reason"].startswith("rolled back: error rate 5.0%")


def test_the_staging_deployment_of_a_rejected_or_superseded_version_is_deleted(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2", reject=True)
    [cleanup] = drive.tick()
    assert cleanup.id == "rollout:credit-risk:2:cleanup" and drive.steps("aml-staging") == ["2:cleanup"]
    assert [d.version for d in drive.endpoints.view("aml-staging").deployments] == ["1"]  # in production: kept
    drive.candidate("3", auc=0.97, champion_auc=0.9)
    drive.tick()
    drive.approve("3")
    for minutes in (0, 10, 30, 0):
        drive.tick(minutes=minutes)
    assert drive.stage("1") == "superseded"
    drive.tick()
    assert [d.version for d in drive.endpoints.view("aml-staging").deployments] == ["3"]
    assert drive.tick(minutes=60) == []


def test_the_reconcile_timer_reports_a_provisioned_staging_deployment_once(drive: RolloutDriver) -> None:
    drive.candidate("1")

    def reported() -> list[str]:
        return [o.outcome for o in reconcile(drive.reactor).outcomes if o.type == "MLOpsReactor.DeploymentReported"]

    assert reported() == ["handled"]
    assert drive.stage("1") == "staging"
    assert reported() == []  # the next run finds nothing due
