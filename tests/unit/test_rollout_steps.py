"""The rollout's pure parts: the next step read off an endpoint, the breach rule, the step event, the policy keys."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from shared.app.settings import APP_ROOT
from shared.core import events as ev
from shared.core.errors import InvalidEvent, PolicyError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy import parse_policy
from shared.core.policy_sections import CdTarget, Rollout
from shared.core.rollout import Bake, Step, breached, deployment_name, next_step
from shared.core.rollout_endpoints import TAG_STEP, TAG_STEP_AT, DeploymentView, EndpointView, Health
from shared.core.rollout_event import step_event

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TARGET = CdTarget(kind="azureml_endpoint", endpoint="prod", rollout=Rollout(mirror_percent=20, max_latency_ms=300))
OLD, NEW = "d-old", "d-new"


def deployment(
    name: str = NEW, state: str = "succeeded", env: str = "production", version: str = "2"
) -> DeploymentView:
    return DeploymentView(
        name=name, model="m", version=version, environment=env, state=state, requested_at=NOW.isoformat()
    )


def endpoint(
    traffic: dict[str, int], mirror: dict[str, int] | None = None, step: str = "", at: datetime = NOW
) -> EndpointView:
    tags = {TAG_STEP: f"{NEW}:{step}", TAG_STEP_AT: at.isoformat()} if step else {}
    return EndpointView(target="t", endpoint="prod", traffic=traffic, mirror=mirror or {}, tags=tags)


def record(stage: Stage, **extra: Any) -> ModelVersionRecord:
    return ModelVersionRecord(model="m", version="2", stage=stage, **extra)


def step_of(result: Step | Bake | None) -> Step:
    assert isinstance(result, Step), result
    return result


def test_an_approved_version_beside_a_champion_is_mirrored_first() -> None:
    step = step_of(next_step(endpoint({OLD: 100}), deployment(), record(Stage.APPROVED), TARGET, NOW))
    assert (step.name, step.traffic, step.mirror) == ("mirror", {OLD: 100}, {NEW: 20})


def test_with_no_champion_the_first_step_is_full_traffic() -> None:
    step = step_of(next_step(endpoint({}), deployment(), record(Stage.APPROVED), TARGET, NOW))
    assert (step.name, step.traffic) == ("full", {NEW: 100})


def test_a_bake_asks_for_health_then_waits_then_moves_on() -> None:
    view = endpoint({OLD: 100}, {NEW: 20}, step="mirror")
    assert next_step(view, deployment(), record(Stage.APPROVED), TARGET, NOW) == Bake(since=NOW)
    calm = Health(requests=100, errors=0, latency_ms=50)
    assert next_step(view, deployment(), record(Stage.APPROVED), TARGET, NOW + timedelta(minutes=9), calm) is None
    later = NOW + timedelta(minutes=10)
    step = step_of(next_step(view, deployment(), record(Stage.APPROVED), TARGET, later, calm))
    assert (step.name, step.traffic, step.mirror) == ("canary", {OLD: 90, NEW: 10}, {})


def test_a_breach_during_the_canary_gives_the_share_back_to_the_champion() -> None:
    view = endpoint({OLD: 90, NEW: 10}, step="canary")
    sick = Health(requests=200, errors=10, latency_ms=50)
    step = step_of(next_step(view, deployment(), record(Stage.APPROVED), TARGET, NOW, sick))
    assert (step.name, step.traffic, step.reason) == (
        "rollback",
        {OLD: 100},
        "error rate 5.0% > 1.0% (10 of 200 requests)",
    )


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        (Health(requests=100, errors=1), ""),  # exactly 1 %: not above the bound
        (Health(requests=100, errors=2), "error rate 2.0% > 1.0% (2 of 100 requests)"),
        (Health(requests=0, errors=0, latency_ms=301), "latency P95 301 ms > 300 ms"),
        (Health(requests=0, errors=0, latency_ms=300), ""),
    ],
)
def test_the_breach_rule_is_strictly_above_each_bound(health: Health, expected: str) -> None:
    assert breached(health, TARGET.rollout) == expected


def test_too_few_requests_are_not_judged_on_their_error_rate() -> None:
    rules = Rollout(min_requests=50)
    assert breached(Health(requests=49, errors=49), rules) == ""
    assert breached(Health(requests=50, errors=49), rules).startswith("error rate 98.0%")


def test_full_traffic_is_reported_as_production_and_the_superseded_deployment_is_retired() -> None:
    view = endpoint({NEW: 100}, step="full")
    assert step_of(next_step(view, deployment(), record(Stage.APPROVED), TARGET, NOW)).name == "production"
    with_old = EndpointView(
        target="t", endpoint="prod", traffic={NEW: 100}, deployments=(deployment(OLD, version="1"),)
    )
    stages = {OLD: Stage.SUPERSEDED, NEW: Stage.PRODUCTION}
    step = step_of(next_step(with_old, deployment(), record(Stage.PRODUCTION), TARGET, NOW, stages=stages))
    assert (step.name, step.delete) == ("retire", (OLD,))
    approved_beside = {OLD: Stage.APPROVED, NEW: Stage.PRODUCTION}  # a challenger being rolled out is never retired
    assert next_step(with_old, deployment(), record(Stage.PRODUCTION), TARGET, NOW, stages=approved_beside) is None


def test_staging_waits_for_provisioning_then_reports_or_pages() -> None:
    view, cand = endpoint({}), record(Stage.CANDIDATE)
    assert next_step(view, deployment(state="creating", env="staging"), cand, TARGET, NOW) is None
    assert step_of(next_step(view, deployment(env="staging"), cand, TARGET, NOW)).name == "staging"
    failed = step_of(next_step(view, deployment(state="failed", env="staging"), cand, TARGET, NOW))
    assert failed.name == "failed"
    late = NOW + timedelta(minutes=30)
    assert step_of(next_step(view, deployment(state="creating", env="staging"), cand, TARGET, late)).name == "timeout"
    assert next_step(view, deployment(env="staging"), record(Stage.STAGING), TARGET, NOW) is None


def test_deployment_names_are_valid_azure_ml_names_and_stable() -> None:
    name = deployment_name("Credit_Risk.Scoring-Model-With-A-Long-Name", "12345678901")
    assert len(name) <= 32 and name[0].isalpha() and set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert name == deployment_name("Credit_Risk.Scoring-Model-With-A-Long-Name", "12345678901")
    assert deployment_name("a", "1") != deployment_name("a", "2")


def test_a_step_event_parses_back_only_as_an_internal_event() -> None:
    step = Step(
        name="canary",
        target="t",
        deployment=deployment(),
        traffic={OLD: 90, NEW: 10},
        health=Health(requests=1, errors=0),
    )
    raw = step_event(step, "/ws", NOW)
    parsed = ev.parse(raw, internal=True)
    assert (
        isinstance(parsed, ev.RolloutObserved)
        and parsed.traffic == {OLD: 90, NEW: 10}
        and parsed.health["requests"] == 1
    )
    assert isinstance(ev.parse(raw), ev.Ignored)  # never from Event Grid


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"step": "explode"}, "step"),
        ({"traffic": {NEW: 101}}, "traffic"),
        ({"traffic": {NEW: True}}, "traffic"),
        ({"mirror": ["x"]}, "mirror"),
        ({"delete": ["bad name!"]}, "delete"),
        ({"environment": "dev"}, "environment"),
        ({"health": 3}, "health"),
        ({"reason": 5}, "reason"),
        ({"model": None}, "model"),
    ],
)
def test_a_bad_step_event_names_the_field(change: dict[str, Any], field: str) -> None:
    raw = step_event(Step(name="canary", target="t", deployment=deployment()), "/ws", NOW)
    raw["data"].update(change)
    with pytest.raises(InvalidEvent) as caught:
        ev.parse(raw, internal=True)
    assert caught.value.field == field


def _policy_with(target: dict[str, Any]) -> dict[str, Any]:
    doc = yaml.safe_load((APP_ROOT / "policy.yaml").read_text())
    doc["cd_targets"]["aml"] = target
    return doc


def test_an_endpoint_target_without_an_endpoint_or_with_too_much_mirroring_is_refused_at_its_path() -> None:
    with pytest.raises(
        PolicyError, match=re.escape("at cd_targets.aml: Value error, an azureml_endpoint target needs 'endpoint'")
    ):
        parse_policy(_policy_with({"kind": "azureml_endpoint"}), "p.yaml")
    with pytest.raises(PolicyError, match=re.escape("at cd_targets.aml.rollout.mirror_percent")):
        parse_policy(_policy_with({"kind": "azureml_endpoint", "endpoint": "e", "rollout": {"mirror_percent": 60}}))


def test_a_dead_versions_staging_deployment_is_cleaned_up_unless_it_takes_traffic() -> None:
    staged = deployment(env="staging")
    for stage in (Stage.REJECTED, Stage.SUPERSEDED):
        step = step_of(next_step(endpoint({}), staged, record(stage), TARGET, NOW))
        assert (step.name, step.delete) == ("cleanup", (NEW,))
    assert next_step(endpoint({NEW: 100}), staged, record(Stage.REJECTED), TARGET, NOW) is None
    assert next_step(endpoint({}), staged, record(Stage.PRODUCTION), TARGET, NOW) is None


def test_a_policy_changed_mid_rollout_moves_on_to_the_next_step_it_still_has() -> None:
    no_canary = CdTarget(kind="azureml_endpoint", endpoint="prod", rollout=Rollout(mirror_percent=0, canary_percent=0))
    view = endpoint({OLD: 100}, {NEW: 20}, step="mirror")
    calm = Health(requests=100, errors=0)
    later = NOW + timedelta(minutes=10)
    step = step_of(next_step(view, deployment(), record(Stage.APPROVED), no_canary, later, calm))
    assert (step.name, step.traffic, step.mirror) == ("full", {NEW: 100}, {})
