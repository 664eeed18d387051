"""ARM's ResourceWriteSuccess: endpoint and deployment writes parsed from the documented shape, others ignored."""

from __future__ import annotations

import pytest

from shared.core import events as ev
from shared.core.endpoints import model_version
from shared.core.errors import InvalidEvent, UntrustedSource
from shared.core.resource_events import trusted, writer
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID, load_event


def parse_file(name: str) -> ev.Event:
    return ev.parse(load_event(name)[0])


def test_an_endpoint_write_names_the_endpoint_the_workspace_and_the_writer() -> None:
    event = parse_file("resource_write.endpoint.eventgrid.json")

    assert isinstance(event, ev.EndpointWritten)
    assert (event.endpoint, event.deployment, event.workspace) == ("credit-risk-prod", "", WORKSPACE_ID)
    assert event.writer == (
        "Mallory Example <mallory@contoso.com> (app 04b07795-8ddb-461a-bbee-02f9e1bf7b46, "
        "principal 5c1e2a7b-9d3f-4e8a-b6c2-0f4d8e1a2b3c)"
    )
    assert event.operation == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write"
    assert event.correlation_id == "7d1f3f0e-6a2b-4b8e-9c4d-2e5f6a7b8c9d"
    assert event.source.endswith("/resourceGroups/ml-rg")


def test_a_deployment_write_in_cloudevents_names_the_deployment() -> None:
    event = parse_file("resource_write.deployment.cloudevents.json")

    assert isinstance(event, ev.EndpointWritten)
    assert (event.endpoint, event.deployment) == ("credit-risk-prod", "blue")


def test_a_write_of_any_other_resource_is_ignored_with_the_reason() -> None:
    event = parse_file("resource_write.other_resource.eventgrid.json")

    assert isinstance(event, ev.Ignored)
    assert "storageAccounts/mlstore: not an Azure ML online endpoint or deployment" in event.reason


def test_a_write_below_a_deployment_is_not_an_endpoint_write() -> None:
    raw = synthetic.build("resource_write", WORKSPACE_ID, deployment="blue")
    raw["data"]["resourceUri"] += "/skus/default"
    assert isinstance(ev.parse(raw), ev.Ignored)


@pytest.mark.parametrize(
    ("name", "field"),
    [("bad.resource_write_uri.json", "data.resourceUri"), ("bad.resource_write_claims.json", "data.claims")],
)
def test_a_malformed_resource_write_names_the_field(name: str, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_file(name)
    assert caught.value.field == field


def test_an_authorization_that_is_not_an_object_names_the_field() -> None:
    raw = synthetic.build("resource_write", WORKSPACE_ID)
    raw["data"]["authorization"] = ["Contributor"]
    with pytest.raises(InvalidEvent, match=r"data\.authorization"):
        ev.parse(raw)


def test_the_writer_falls_back_to_the_app_and_the_principal_of_the_authorization() -> None:
    assert writer({"appid": "a1"}, "p1") == "app a1, principal p1"
    assert writer({}, "") == "unknown (the event carries no caller claims)"
    assert writer({"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "x@y"}) == "<x@y>"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("bad.resource_write_other_workspace.json", "not an endpoint of the configured workspace"),
        ("bad.resource_write_other_group.json", "not the resource group of the configured workspace"),
    ],
)
def test_a_write_outside_the_configured_workspace_is_untrusted(name: str, why: str) -> None:
    event = parse_file(name)
    assert isinstance(event, ev.EndpointWritten)
    with pytest.raises(UntrustedSource, match=why):
        trusted(event, WORKSPACE_ID)


def test_a_subscription_wide_topic_is_trusted_for_the_workspace_below_it() -> None:
    raw = synthetic.build("resource_write", WORKSPACE_ID, topic=WORKSPACE_ID.split("/resourceGroups")[0])
    event = ev.parse(raw)
    assert isinstance(event, ev.EndpointWritten)
    trusted(event, WORKSPACE_ID.upper())  # ARM ids compare case-insensitively


def test_a_topic_that_only_shares_a_prefix_with_the_group_is_untrusted() -> None:
    event = ev.parse(synthetic.build("resource_write", WORKSPACE_ID, topic=WORKSPACE_ID.split("/providers")[0][:-1]))
    assert isinstance(event, ev.EndpointWritten)
    with pytest.raises(UntrustedSource):
        trusted(event, WORKSPACE_ID)


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("azureml:credit-risk:7", ("credit-risk", "7")),
        (f"{WORKSPACE_ID}/models/credit-risk/versions/7", ("credit-risk", "7")),
        (f"{WORKSPACE_ID.lower()}/models/credit-risk/versions/7", ("credit-risk", "7")),
        ("azureml://registries/shared/models/credit-risk/versions/7", ("credit-risk", "7")),
        ("azureml://registries/shared/models/credit-risk/labels/latest", ("", "")),
        ("azureml:credit-risk@latest", ("", "")),
        ("", ("", "")),
    ],
)
def test_a_deployments_model_reference_is_read_as_a_version(model_id: str, expected: tuple[str, str]) -> None:
    assert model_version(model_id) == expected


def test_the_type_name_is_the_one_the_event_grid_sdk_names() -> None:
    from azure.eventgrid import SystemEventNames

    assert SystemEventNames.ResourceWriteSuccessEventName.value == ev.RESOURCE_WRITE
