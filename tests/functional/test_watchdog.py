"""The production watchdog on the workspace simulator: deployments written outside the loop page on-call once."""

from __future__ import annotations

import pytest

from shared.core.errors import UpstreamRejected
from shared.engine.reactor import Reactor
from tests.conftest import load_event
from tests.functional.driver import Driver


@pytest.fixture
def drive(reactor: Reactor) -> Driver:
    return Driver(reactor)


def test_a_deployment_written_outside_the_loop_pages_once_naming_the_writer(drive: Driver) -> None:
    drive.register()  # credit-risk:1, testing: it never passed the gate
    writes = drive.workspace.endpoints.write_deployment(
        "credit-risk-prod",
        "hotfix",
        "azureml:credit-risk:1",
        caller={"writer": "Mallory Example", "upn": "mallory@contoso.com"},
    )
    outcomes = drive.deliver(*writes)  # the deployment's write, then the endpoint's traffic update

    [page] = drive.notices("out_of_band")
    assert page.channel == "oncall"
    assert page.facts["Written by"].startswith("Mallory Example <mallory@contoso.com> (app ")
    assert page.facts["Model"] == "credit-risk:1" and page.facts["Stage"] == "testing"
    assert "/onlineEndpoints/credit-risk-prod" in page.links["Endpoint in the Azure portal"]
    assert [o.outcome for o in outcomes] == ["handled", "handled"]
    assert all(o.error and "takes 100% of production endpoint credit-risk-prod" in o.error for o in outcomes)
    assert drive.stage("1") == "testing"  # the watchdog changes no stage


def test_writes_repeated_later_do_not_page_again(drive: Driver) -> None:
    writes = drive.workspace.endpoints.write_deployment("credit-risk-prod", "blue", "azureml:credit-risk:9")
    drive.deliver(*writes)
    drive.reactor.clock.advance(hours=6)  # type: ignore[attr-defined]
    drive.deliver(drive.workspace.endpoints.set_traffic("credit-risk-prod", {"blue": 100}, {"writer": "Someone Else"}))

    [page] = drive.notices("out_of_band")
    assert page.facts["Stage"] == "unknown to this app"


def test_the_sanctioned_production_version_is_quiet(drive: Driver) -> None:
    drive.register()
    drive.to_production("1")
    assert drive.stage("1") == "production"
    # CD performs the deployment the loop asked for: the same writes, by the CD's identity.
    writes = drive.workspace.endpoints.write_deployment(
        "credit-risk-prod", "blue", "azureml:credit-risk:1", caller={"writer": "github-actions-cd"}
    )
    outcomes = drive.deliver(*writes)

    assert drive.notices("out_of_band") == []
    assert all(o.error is None and "blue serves credit-risk:1 (production): sanctioned" in o.notes for o in outcomes)


def test_an_out_of_band_canary_beside_the_champion_pages_only_for_the_canary(drive: Driver) -> None:
    drive.register()
    drive.to_production("1")
    drive.deliver(*drive.workspace.endpoints.write_deployment("credit-risk-prod", "blue", "azureml:credit-risk:1"))
    drive.register()  # credit-risk:2, testing
    drive.deliver(
        *drive.workspace.endpoints.write_deployment("credit-risk-prod", "green", "azureml:credit-risk:2", traffic=None)
    )
    assert drive.notices("out_of_band") == []  # green takes no traffic yet
    drive.deliver(drive.workspace.endpoints.set_traffic("credit-risk-prod", {"blue": 90, "green": 10}))

    [page] = drive.notices("out_of_band")
    assert (page.facts["Deployment"], page.facts["Live traffic"]) == ("green", "10%")


def test_a_staging_endpoint_is_not_watched(drive: Driver) -> None:
    drive.register()
    drive.deliver(*drive.workspace.endpoints.write_deployment("credit-risk-staging", "blue", "azureml:credit-risk:1"))
    assert drive.notices("out_of_band") == []


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("bad.resource_write_other_workspace.json", "not an endpoint of the configured workspace"),
        ("bad.resource_write_other_group.json", "not the resource group of the configured workspace"),
        ("bad.resource_write_uri.json", "field 'data.resourceUri' must be"),
        ("bad.resource_write_claims.json", "field 'data.claims' must be"),
    ],
)
def test_an_untrusted_or_malformed_resource_write_is_refused_and_recorded(drive: Driver, name: str, why: str) -> None:
    [outcome] = drive.deliver(*load_event(name))

    assert outcome.outcome == "rejected" and outcome.error and why in outcome.error
    [letter] = drive.reactor.store.dead_letters()
    assert letter["reason"] == outcome.error and letter["raw"]
    assert drive.notices() == []


def test_a_write_of_another_resource_in_the_group_is_ignored_with_the_reason(drive: Driver) -> None:
    [outcome] = drive.deliver(*load_event("resource_write.other_resource.eventgrid.json"))

    assert outcome.outcome == "ignored" and "not an Azure ML online endpoint" in outcome.notes[0]
    assert drive.reactor.store.dead_letters() == []


def test_the_writers_claims_are_escaped_in_the_email_and_the_card(drive: Driver) -> None:
    from shared.adapters.notify.render.cards import adaptive_card
    from shared.adapters.notify.render.emails import render_email

    hostile = {"writer": "<img src=x onerror=alert(1)>", "upn": "[click](https://evil.example)"}
    drive.deliver(*drive.workspace.endpoints.write_deployment("credit-risk-prod", "x", "azureml:m:1", caller=hostile))

    [page] = drive.notices("out_of_band")
    assert "<img" not in render_email(page).html and "&lt;img" in render_email(page).html
    assert "[click](https://evil.example)" not in str(adaptive_card(page))


def test_a_mirror_of_production_traffic_to_an_untested_version_is_not_a_page(drive: Driver) -> None:
    endpoints = drive.workspace.endpoints
    endpoints.write_deployment("credit-risk-prod", "shadow", "azureml:credit-risk:5", traffic=None)
    event = endpoints.set_traffic("credit-risk-prod", {}, mirror={"shadow": 20})
    [outcome] = drive.deliver(event)

    assert drive.notices("out_of_band") == []
    assert outcome.notes == ("no deployment of credit-risk-prod takes live traffic",)
    view = drive.workspace.endpoint_models("credit-risk-prod")
    assert view is not None and [(d.deployment, d.traffic, d.mirror) for d in view.deployments] == [("shadow", 0, 20)]


def test_traffic_on_an_endpoint_the_simulator_does_not_have_is_refused(drive: Driver) -> None:
    with pytest.raises(UpstreamRejected, match="online endpoint nope-prod does not exist"):
        drive.workspace.endpoints.set_traffic("nope-prod", {"blue": 100})
