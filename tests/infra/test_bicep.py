"""The Bicep, parsed with pycep-parser: roles by GUID and scope, Event Grid wiring, Flex plan, app settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.core import event_types
from tests.infra.bicep import INFRA, parsed, resource, resource_type, resources_of, variable

pytest.importorskip("pycep")

ROLES = {  # GUID -> built-in role name (learn.microsoft.com/azure/role-based-access-control/built-in-roles)
    "f6c7c914-8db3-469d-8ca1-694a8f32e121": "AzureML Data Scientist",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "43d0d8ad-25c7-4714-9337-8ba259a9fe05": "Monitoring Reader",  # a rollout's bake reads the endpoint metrics
    "1823dd4f-9b8c-4ab6-ab4e-7397a3684615": "AzureML Registry User",  # the registry copy and its reads
    "09976791-48a7-449e-bb21-39d1a415f350": "Communication and Email Service Owner",  # UNCONFIRMED (acs-role.bicep)
}
EXPECTED_ROLES = {  # (file, role) -> the resource it is scoped to: never a resource group or subscription
    ("app/events", "AzureML Data Scientist"): {"workspace"},
    ("app/events", "Monitoring Reader"): {"workspace"},
    ("app/core", "Storage Table Data Contributor"): {"storage"},
    ("app/core", "Storage Blob Data Owner"): {"packageContainer", "hostContainer"},
    ("app/core", "Storage Blob Data Contributor"): {"deadLetters"},
    ("app/core", "Key Vault Secrets User"): {"vault"},
    ("app/acs-role", "Communication and Email Service Owner"): {"acs"},
    ("app/registry-role", "AzureML Registry User"): {"registry"},
}


def _accessor(value: Any) -> tuple[Any, Any] | None:
    op = value.get("operator", {}) if isinstance(value, dict) else {}
    return (op["operands"]["operand_1"], op["operands"]["operand_2"]) if op.get("type") else None


def _role_guid(name: str, body: dict[str, Any]) -> str:
    """The GUID in subscriptionResourceId(..., <guid variable or roles.<name>>)."""
    arg = body["properties"]["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
    pair = _accessor(arg)
    if pair is None:
        return str(arg)
    table = pair[0] if isinstance(pair[0], dict) else variable(name, pair[0])
    return str(table[pair[1]])


def _scope(body: dict[str, Any]) -> str:
    scope = body["scope"]
    pair = _accessor(scope)  # hostContainer[i] in a loop
    return str(pair[0]) if pair else str(scope)


def _assignments() -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for name in {file for file, _ in EXPECTED_ROLES}:
        for symbol in resources_of(name, "Microsoft.Authorization/roleAssignments"):
            body = resource(name, symbol)
            found.setdefault((name, ROLES[_role_guid(name, body)]), set()).add(_scope(body))
            assert body["properties"]["principalType"] == "ServicePrincipal", symbol
    return found


def test_each_role_is_a_built_in_guid_scoped_to_one_resource() -> None:
    assert _assignments() == EXPECTED_ROLES


def _subscriptions() -> list[dict[str, Any]]:
    kind = "Microsoft.EventGrid/systemTopics/eventSubscriptions"
    return [resource("app/events", s)["properties"] for s in resources_of("app/events", kind)]


def test_subscriptions_deliver_exactly_the_azure_ml_event_types_the_code_handles() -> None:
    azure_ml = "Microsoft.MachineLearningServices."
    handled = {v for k, v in vars(event_types).items() if k.isupper() and str(v).startswith(azure_ml)}
    handled.add(event_types.RESOURCE_WRITE)  # the watchdog's, from the resource group's topic
    delivered = [t for sub in _subscriptions() for t in sub["filter"]["includedEventTypes"]]

    assert sorted(delivered) == sorted(handled)


def test_run_status_changes_are_filtered_to_the_terminal_statuses() -> None:
    subscriptions = _subscriptions()
    runs = next(s for s in subscriptions if s["filter"].get("advancedFilters"))

    assert runs["filter"]["advancedFilters"] == [
        {"operatorType": "StringIn", "key": "data.runStatus", "values": list(event_types.TERMINAL_STATUSES)}
    ]
    others = [s for s in subscriptions if s is not runs]
    assert all("advancedFilters" not in s["filter"] for s in others)  # a runStatus filter would drop models


def test_subscriptions_reach_the_function_with_retries_and_an_identity_dead_letter() -> None:
    for sub in _subscriptions():
        assert sub["destination"]["endpointType"] == "AzureFunction"
        assert sub["destination"]["properties"]["resourceId"] == "${functionAppId}/functions/aml_events"
        assert sub["destination"]["properties"]["maxEventsPerBatch"] == 1
        assert sub["eventDeliverySchema"] == "EventGridSchema"
        assert sub["retryPolicy"] == {
            "maxDeliveryAttempts": "maxDeliveryAttempts",
            "eventTimeToLiveInMinutes": "eventTimeToLiveInMinutes",
        }
        dead = sub["deadLetterWithResourceIdentity"]
        assert dead["identity"] == {"type": "UserAssigned", "userAssignedIdentity": "identityId"}
        assert dead["deadLetterDestination"]["properties"]["blobContainerName"] == "deadLetterContainer"
    main = parsed("main")["parameters"]
    assert (main["maxDeliveryAttempts"]["default"], main["eventTimeToLiveInMinutes"]["default"]) == (30, 1440)


def test_the_system_topic_is_on_the_workspace_with_the_identity() -> None:
    topic = resource("app/events", "topic")

    assert topic["properties"]["topicType"] == "Microsoft.MachineLearningServices.Workspaces"
    assert "workspace" in json.dumps(topic["properties"]["source"])  # workspace.id: the existing workspace
    assert topic["identity"]["type"] == "UserAssigned"


def test_the_watchdog_hears_endpoint_writes_from_the_resource_group_topic() -> None:
    topic = resource("app/events", "groupTopic")
    writes = resource("app/events", "endpointWrites")

    assert topic["properties"]["topicType"] == "Microsoft.Resources.ResourceGroups"
    source = json.dumps(topic["properties"]["source"])  # resourceGroup().id: the workspace's (module scope)
    assert '"type": "resource_group"' in source and '"id"' in source  # pycep nests it differently by version
    assert topic["location"] == "global"
    assert writes["parent"] == "groupTopic"
    assert writes["properties"]["filter"] == {
        "includedEventTypes": [event_types.RESOURCE_WRITE],
        "subjectBeginsWith": "${workspace.id}/onlineEndpoints/",  # endpoints and their deployments, this workspace
    }


def test_the_app_runs_on_flex_consumption_python_311_with_the_user_assigned_identity() -> None:
    plan, app = resource("app/function", "plan"), resource("app/function", "app")
    config = app["properties"]["functionAppConfig"]

    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert config["deployment"]["storage"]["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }
    assert config["scaleAndConcurrency"]["maximumInstanceCount"] == "maximumInstanceCount"
    assert "alwaysReadyInstances" in json.dumps(config["scaleAndConcurrency"]["alwaysReady"])
    assert app["identity"]["type"] == "UserAssigned"
    assert app["properties"]["keyVaultReferenceIdentity"] == "identityId"
    assert resource_type("app/function", "app") == "Microsoft.Web/sites"


def test_sign_in_is_offered_but_anonymous_requests_pass() -> None:
    auth = resource("app/function", "auth")["properties"]

    assert auth["globalValidation"] == {"requireAuthentication": False, "unauthenticatedClientAction": "AllowAnonymous"}
    assert resource_type("app/function", "auth") == "Microsoft.Web/sites/config"


def test_parameter_files_name_dev_test_and_prd_and_prd_locks_down() -> None:
    declared = set(parsed("main")["parameters"])
    values = {}
    for env in ("dev", "test", "prd"):
        doc = json.loads((INFRA / "env" / f"{env}.parameters.json").read_text(encoding="utf-8"))
        params = {k: v["value"] for k, v in doc["parameters"].items()}
        assert set(params) <= declared, env
        values[env] = params
    assert [values[e]["environmentName"] for e in ("dev", "test", "prd")] == ["dev", "test", "prd"]
    assert values["prd"]["lockDown"] and not values["dev"]["lockDown"]
    assert (
        values["prd"]["approverObjectIds"]
        and values["prd"]["maximumInstanceCount"] > values["dev"]["maximumInstanceCount"]
    )


def _module(symbol: str) -> dict[str, Any]:
    """A module of main.bicep: its path, loop, condition and (unwrapped) config."""
    found: dict[str, Any] = parsed("main")["modules"][symbol]
    return found


def test_each_other_workspace_of_the_policy_gets_the_roles_its_own_topic_and_subscriptions() -> None:
    other = _module("otherEvents")
    config = other["config"]["config"]
    params = config["params"]

    assert other["detail"]["path"] == "app/events.bicep"  # the same roles, topic and subscriptions as the app's
    assert other["config"]["loop_type"]["detail"]["array_name"] == "otherWorkspaces"
    assert config["scope"]["function"]["type"] == "resource_group"  # the workspace's own resource group
    assert params["topicSuffix"] == "-${last(split(ws.id, '/'))}"  # two workspaces in one group: two names
    assert (params["functionAppId"], params["subscribeEvents"]) == (
        _module("events")["config"]["params"]["functionAppId"],
        "subscribeEvents",
    )
    watch = params["watchEndpoints"]["operator"]["operands"]  # on unless a workspace shares another's group
    assert "watchEndpoints" in json.dumps(watch["condition"]) and watch["false_value"] is True
    main = parsed("main")["parameters"]
    assert main["otherWorkspaces"]["default"] == [] and main["registryId"]["default"] == ""


def test_the_resource_group_topic_can_be_left_to_another_workspaces_module() -> None:
    for symbol in ("groupTopic", "endpointWrites"):
        condition = json.dumps(parsed("app/events")["resources"][symbol]["config"]["condition"])
        assert "watchEndpoints" in condition, symbol
    assert parsed("app/events")["parameters"]["watchEndpoints"]["default"] is True


def test_the_registry_role_is_granted_only_when_the_registry_is_named() -> None:
    role = _module("registryRole")

    assert role["detail"]["path"] == "app/registry-role.bicep"
    assert "registryId" in json.dumps(role["config"]["condition"])
    assert resource_type("app/registry-role", "registry") == "Microsoft.MachineLearningServices/registries"
