"""The production watchdog's decision: what serves a production endpoint, against the ledger (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.app.settings import APP_ROOT
from shared.core import events as ev
from shared.core.decide import Context, decide
from shared.core.endpoints import DeploymentModel, EndpointTraffic
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy import load_policy, parse_policy
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID

POLICY = load_policy(APP_ROOT / "policy.yaml")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def written(deployment: str = "") -> ev.Event:
    return ev.parse(synthetic.build("resource_write", WORKSPACE_ID, deployment=deployment, writer="Mallory"))


def serving(*deployments: DeploymentModel, endpoint: str = "credit-risk-prod", **tags: str) -> EndpointTraffic:
    return EndpointTraffic(endpoint=endpoint, tags=tags, deployments=deployments)


def blue(version: str = "7", traffic: int = 100, mirror: int = 0, model: str = "credit-risk") -> DeploymentModel:
    model_id = f"azureml:{model}:{version}" if model else "mcr.microsoft.com/custom:1"
    return DeploymentModel(
        deployment="blue",
        model=model,
        version=version if model else "",
        traffic=traffic,
        mirror=mirror,
        model_id=model_id,
    )


def context(endpoint: EndpointTraffic | None, *stages: tuple[str, Stage]) -> Context:
    records = {f"credit-risk:{v}": ModelVersionRecord(model="credit-risk", version=v, stage=s) for v, s in stages}
    return Context(now=NOW, workspace_id=WORKSPACE_ID, public_url="https://app", records=records, endpoint=endpoint)


@pytest.mark.parametrize("stage", [Stage.PRODUCTION, Stage.APPROVED, Stage.SUPERSEDED])
def test_a_version_that_went_through_the_loop_is_quiet(stage: Stage) -> None:
    plan = decide(written(), context(serving(blue()), ("7", stage)), POLICY)

    assert plan.actions == () and plan.violation is None
    assert plan.notes == (f"blue serves credit-risk:7 ({stage}): sanctioned",)


@pytest.mark.parametrize("stage", [Stage.REGISTERED, Stage.TESTING, Stage.CANDIDATE, Stage.STAGING, Stage.REJECTED])
def test_a_version_that_skipped_the_gates_pages_on_call_naming_the_writer(stage: Stage) -> None:
    plan = decide(written("blue"), context(serving(blue()), ("7", stage)), POLICY)

    [page] = plan.actions
    assert page.kind == "notify" and page.channel == "oncall" and page.template == "out_of_band"
    assert page.facts["Written by"].startswith("Mallory")
    assert page.facts["Stage"] == str(stage) and page.facts["Live traffic"] == "100%"
    assert page.links["Endpoint in Azure ML studio"].startswith("https://ml.azure.com/endpoints/realtime/")
    assert page.links["Endpoint in the Azure portal"].endswith("/onlineEndpoints/credit-risk-prod")
    assert plan.violation and f"while {stage}" in plan.violation


@pytest.mark.parametrize("model", ["credit-risk", ""])
def test_a_model_the_loop_never_registered_is_out_of_band(model: str) -> None:
    plan = decide(written(), context(serving(blue(model=model))), POLICY)

    [page] = plan.actions
    assert page.facts["Stage"] == "unknown to this app"
    assert page.facts["Model"] == ("credit-risk:7" if model else "mcr.microsoft.com/custom:1")


def test_the_endpoint_and_the_deployment_write_share_one_page_key() -> None:
    ctx = context(serving(blue()), ("7", Stage.STAGING))
    [by_endpoint] = decide(written(), ctx, POLICY).actions
    [by_deployment] = decide(written("blue"), ctx, POLICY).actions
    later = Context(**{**vars(ctx), "now": datetime(2026, 11, 23, tzinfo=UTC)})
    [next_day] = decide(written(), later, POLICY).actions

    assert (
        by_endpoint.key
        == by_deployment.key
        == next_day.key
        == "notify:out_of_band:credit-risk-prod/blue/credit-risk:7:oncall"
    )


def test_only_live_traffic_counts_a_mirror_or_an_idle_deployment_is_quiet() -> None:
    idle = DeploymentModel(deployment="green", model="credit-risk", version="8", traffic=0, mirror=10)
    plan = decide(written(), context(serving(blue(), idle), ("7", Stage.PRODUCTION), ("8", Stage.CANDIDATE)), POLICY)
    assert plan.actions == ()

    plan = decide(written(), context(serving(blue(traffic=0))), POLICY)
    assert plan.ignored == "no deployment of credit-risk-prod takes live traffic"


def test_each_unsanctioned_deployment_pages_once_and_the_sanctioned_one_is_noted() -> None:
    green = DeploymentModel(deployment="green", model="credit-risk", version="8", traffic=10, model_id="x")
    plan = decide(written(), context(serving(blue(traffic=90), green), ("7", Stage.PRODUCTION)), POLICY)

    [page] = plan.actions
    assert page.facts["Deployment"] == "green" and page.facts["Live traffic"] == "10%"
    assert plan.notes == ("blue serves credit-risk:7 (production): sanctioned",)


@pytest.mark.parametrize(
    ("endpoint", "tags"),
    [("credit-risk-staging", {}), ("scoring", {}), ("credit-risk-prod", {"environment": "staging"})],
)
def test_an_endpoint_that_is_not_production_is_ignored(endpoint: str, tags: dict[str, str]) -> None:
    plan = decide(written(), context(serving(blue(), endpoint=endpoint, **tags)), POLICY)

    assert plan.actions == () and plan.violation is None
    assert plan.ignored == f"endpoint {endpoint} is not a production endpoint (environments.production)"


def test_a_production_tag_makes_any_endpoint_production() -> None:
    plan = decide(written(), context(serving(blue(), endpoint="scoring", environment="production")), POLICY)
    assert len(plan.actions) == 1


def test_an_endpoint_deleted_since_the_write_is_ignored() -> None:
    assert (
        decide(written(), context(None), POLICY).ignored
        == "endpoint credit-risk-prod no longer exists: nothing serves from it"
    )


def test_without_on_call_channels_the_violation_is_recorded_and_said_unpaged() -> None:
    document = POLICY.model_dump(mode="json")
    document["oncall"]["channels"] = []
    plan = decide(written(), context(serving(blue())), parse_policy(document))

    assert plan.actions == () and plan.violation
    assert "recorded, not paged" in plan.notes[-1]


def from_registry(registry: str) -> DeploymentModel:
    model_id = f"azureml://registries/{registry}/models/credit-risk/versions/7"
    return DeploymentModel(deployment="blue", model="credit-risk", version="7", traffic=100, model_id=model_id)


def test_the_registry_copy_of_an_approved_version_is_sanctioned_in_another_workspace() -> None:
    policy = POLICY.model_copy(update={"registry": "Shared-Models"})
    plan = decide(written(), context(serving(from_registry("shared-models")), ("7", Stage.APPROVED)), policy)

    assert plan.actions == () and plan.violation is None


@pytest.mark.parametrize("registry", [None, "shared-models"])
def test_a_model_from_another_registry_is_out_of_band_even_with_a_known_name(registry: str | None) -> None:
    policy = POLICY.model_copy(update={"registry": registry})
    plan = decide(written(), context(serving(from_registry("elsewhere")), ("7", Stage.PRODUCTION)), policy)

    [page] = plan.actions
    assert page.facts["Stage"] == "unknown to this app"
    assert page.facts["Model"] == "azureml://registries/elsewhere/models/credit-risk/versions/7"
