"""Rollout failures page the owners once and stop: quota, a failed deployment, a timeout, a failed rollback."""

from __future__ import annotations

import pytest

from shared.app.settings import Settings
from shared.core.clock import FixedClock
from tests.functional.rollout_kit import RolloutDriver, endpoint_reactor

QUOTA = "QuotaExceeded: not enough quota for Standard_DS3_v2 (<b>8 of 10</b> cores used)"


@pytest.fixture
def drive(settings: Settings, clock: FixedClock) -> RolloutDriver:
    return RolloutDriver(endpoint_reactor(settings, clock), clock)


def _pages(drive: RolloutDriver, template: str) -> list[object]:
    return [n for n in drive.notices(template) if n.channel == "oncall"]


def test_a_staging_deployment_failing_for_quota_pages_once_with_the_reason_and_stays_a_candidate(
    drive: RolloutDriver,
) -> None:
    drive.endpoints.script(drive.name("1"), state="failed", error=QUOTA)
    drive.candidate("1")
    [outcome] = drive.tick()
    assert outcome.type == "MLOpsReactor.RolloutObserved" and "the rollout stops here" in outcome.notes[0]
    [page] = drive.notices("rollout_failed")
    assert page.facts["Problem"] == QUOTA and page.facts["Owners"] == "data-science@contoso.example"
    assert drive.stage("1") == "candidate" and not drive.notices("approval_requested")
    assert drive.tick(minutes=60) == []  # never loops


def test_a_deployment_still_creating_after_the_timeout_pages_once(drive: RolloutDriver) -> None:
    drive.endpoints.script(drive.name("1"), state="creating")
    drive.candidate("1")
    assert drive.tick(minutes=29) == []
    [outcome] = drive.tick(minutes=1)
    assert outcome.id == "rollout:credit-risk:1:timeout:staging"
    [page] = drive.notices("rollout_timeout")
    assert page.facts["Problem"] == "still creating after 30 minutes"
    assert drive.tick(minutes=30) == [] and drive.stage("1") == "candidate"


def test_a_production_deployment_that_fails_leaves_the_champion_alone(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.endpoints.script(drive.name("2"), state="failed", error="ImageBuildFailure")
    drive.approve("2")
    drive.tick()
    [page] = drive.notices("rollout_failed")
    assert page.facts["Environment"] == "production" and page.facts["Problem"] == "ImageBuildFailure"
    assert drive.prod() == {"1": 100} and drive.stage("1") == "production" and drive.stage("2") == "approved"
    assert drive.tick(minutes=60) == []


def test_a_quota_refusal_when_asking_fails_the_cd_request_and_pages_once_with_the_reason(
    drive: RolloutDriver,
) -> None:
    drive.endpoints.script(drive.name("1"), refuse=QUOTA)
    drive.register()
    outcome = drive.finish("offline_test", auc=0.9, latency_ms=100)[0]
    [cd] = [a for a in outcome.actions if a["kind"] == "trigger_cd"]
    assert cd["status"] == "failed" and QUOTA in cd["error"] and outcome.error and QUOTA in outcome.error
    [page] = drive.notices("rollout_failed")
    assert page.facts["Environment"] == "staging" and page.facts["Problem"] == QUOTA
    assert drive.endpoints.view("aml-staging").deployments == ()
    assert drive.tick() == [] and drive.stage("1") == "candidate"
    assert [e.event_id for e in drive.reactor.store.ledger(model="credit-risk", version="1")][-1] == (
        "rollout:credit-risk:1:failed:staging"
    )


def test_a_rollback_the_endpoint_refuses_pages_once_and_the_rollout_stops(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.approve("2")
    drive.tick()
    drive.endpoints.script(f"health:{drive.name('2')}", requests=100, errors=50)
    drive.endpoints.script("shift:rollback", refuse="Conflict: the endpoint is being updated")
    rollback, _cleanup_of_staging = drive.tick(minutes=1)
    assert rollback.error and "Conflict" in rollback.error
    assert drive.stage("2") == "rejected" and drive.endpoints.view("aml-production").mirror == {drive.name("2"): 20}
    grace = 2 * drive.reactor.lease_seconds
    assert drive.tick(seconds=grace - 1) == []  # a rollback may still be under way: no page yet
    [failed] = drive.tick(seconds=1)
    assert failed.id == "rollout:credit-risk:2:rollback_failed:production"
    [page] = _pages(drive, "rollout_rollback_failed")
    assert page.facts["Problem"] == f"0% of live traffic and 20% mirrored are still on {drive.name('2')}"
    assert drive.tick(minutes=60) == [] and len(_pages(drive, "rollout_rollback_failed")) == 1
    assert drive.steps() == ["1:full", "2:mirror"]  # the refused rollback was never retried


def test_a_forward_step_the_endpoint_refuses_pages_once_and_the_rollout_stops(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.endpoints.script("shift:mirror", refuse="BadArgument: mirror traffic is not allowed on this endpoint")
    drive.approve("2")
    [mirror] = drive.tick()
    assert mirror.error and "BadArgument" in mirror.error
    grace = 2 * drive.reactor.lease_seconds
    assert drive.tick(seconds=grace - 1) == []  # an endpoint update may take a while to show: no page yet
    [stopped] = drive.tick(seconds=1)
    assert stopped.id == "rollout:credit-risk:2:failed:production"
    [page] = drive.notices("rollout_failed")
    assert "the mirror step was refused by the endpoint" in page.facts["Problem"]
    assert drive.tick(minutes=60) == [] and drive.steps() == ["1:full"] and drive.prod() == {"1": 100}


def test_a_quota_refusal_in_production_pages_once_and_leaves_the_champion_alone(drive: RolloutDriver) -> None:
    drive.live("1")
    drive.candidate("2", auc=0.95, champion_auc=0.9)
    drive.tick()
    drive.endpoints.script(drive.name("2"), refuse=QUOTA)
    drive.approve("2")
    [page] = drive.notices("rollout_failed")
    assert page.facts["Environment"] == "production" and page.facts["Problem"] == QUOTA
    assert drive.tick(minutes=60) == [] and drive.prod() == {"1": 100} and drive.stage("2") == "approved"
