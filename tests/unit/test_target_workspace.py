"""`workspace` on an azureml_endpoint target: validation, placement (which workspace, which model reference),
the configuration problem of a foreign workspace without a registry, attribution, and the client cache."""

from __future__ import annotations

from typing import Any

import pytest

from shared.adapters.cd.azureml_endpoint.clients import WorkspaceClients, scope_of
from shared.core import events as ev
from shared.core.config_check import problems_for_mode
from shared.core.environments import environment_of
from shared.core.errors import PolicyError, UpstreamRejected
from shared.core.placement import HOME, Placement, placements
from shared.core.policy import Policy
from shared.tools import synthetic
from tests.conftest import TEST_RG, TEST_SUBSCRIPTION, WORKSPACE_ID
from tests.unit.test_environments import PRD_WS, TEST_WS, three

REGISTRY = "contoso-models"


def targets(staging: Any = None, production: Any = None, kind: str = "azureml_endpoint") -> dict[str, Any]:
    def one(endpoint: str, workspace: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, "endpoint": endpoint}
        return {**body, "workspace": workspace} if workspace is not None else body

    return {
        "cd_targets": {
            "local-cd": {"kind": "record"},
            "stg": one("credit-staging", staging),
            "prd": one("p", production),
        }
    }


def test_a_target_names_its_workspace_by_environment_or_by_arm_id() -> None:
    policy = three(registry=REGISTRY, **targets("test", PRD_WS.upper()))
    assert (policy.cd_targets["stg"].workspace, policy.cd_targets["prd"].workspace) == ("test", PRD_WS.upper())
    where = placements(policy, WORKSPACE_ID)
    assert where["stg"] == Placement(workspace_id=TEST_WS, environment="test", registry=REGISTRY)
    assert where["prd"] == Placement(workspace_id=PRD_WS, environment="prd", registry=REGISTRY)
    assert "local-cd" not in where


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (targets("staging"), r"cd_targets\.stg\.workspace: 'staging' is not one of the policy's workspaces: expected"),
        (
            targets("/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/z"),
            "ARM id",
        ),
        (targets("test"), r"cd_targets\.stg\.workspace: deploying into the test workspace needs 'registry'"),
        (targets(production="prd"), r"cd_targets\.prd\.workspace: deploying into the prd workspace needs 'registry'"),
        (targets(""), r"cd_targets\.stg\.workspace: String should have at least 1 character"),
    ],
)
def test_a_bad_target_workspace_is_a_policy_error_naming_the_field_and_what_was_expected(
    extra: dict[str, Any], expected: str
) -> None:
    with pytest.raises(PolicyError, match=expected):
        three(**extra)


def test_a_workspace_on_another_kind_of_target_or_without_workspaces_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"cd_targets\.stg: Value error, 'workspace' is for an azureml_endpoint"):
        three(**{"cd_targets": {"local-cd": {"kind": "record"}, "stg": {"kind": "record", "workspace": "test"}}})
    from shared.core.policy import parse_policy
    from tests.unit.test_environments import document

    with pytest.raises(PolicyError, match="the policy has no 'workspaces' section"):
        parse_policy(document(**targets("test")))


def test_an_environment_two_workspaces_share_must_be_named_by_arm_id() -> None:
    from shared.core.policy import parse_policy
    from tests.unit.test_environments import document

    listed = [
        {"id": WORKSPACE_ID, "environment": "dev"},
        {"id": TEST_WS, "environment": "test"},
        {"id": PRD_WS, "environment": "test"},
    ]
    with pytest.raises(PolicyError, match="'test' is the environment of 2 workspaces: give the ARM id"):
        parse_policy(document(workspaces=listed, registry=REGISTRY, **targets("test")))
    policy = parse_policy(document(workspaces=listed, registry=REGISTRY, **targets(PRD_WS)))
    assert placements(policy, WORKSPACE_ID)["stg"].workspace_id == PRD_WS


def test_a_target_in_the_apps_own_workspace_or_without_one_deploys_the_workspace_version() -> None:
    policy = three(registry=REGISTRY, **targets("dev"))
    where = placements(policy, WORKSPACE_ID.upper())
    assert where["stg"] == Placement(environment="dev") and where["prd"] == HOME
    assert where["stg"].model_ref("credit-risk", "7") == "azureml:credit-risk:7"
    registry = placements(policy, TEST_WS)["stg"]  # an app outside dev: dev's endpoint is foreign to it
    assert registry.model_ref("credit-risk", "7") == f"azureml://registries/{REGISTRY}/models/credit-risk/versions/7"


def test_a_foreign_workspace_without_a_registry_is_a_configuration_problem_at_load() -> None:
    policy = three(**targets("dev"))  # no registry: only the app's own workspace can deploy its versions
    assert problems_for_mode(policy, "local", WORKSPACE_ID) == ()
    [problem] = [p for p in problems_for_mode(policy, "azure", TEST_WS) if p.path.endswith(".workspace")]
    assert problem.path == "cd_targets.stg.workspace"
    assert "not the app's workspace" in problem.reason and "no 'registry'" in problem.reason


def test_a_rollout_step_is_attributed_to_its_targets_workspace() -> None:
    policy: Policy = three(registry=REGISTRY, **targets("prd", "test"))  # production placed in test, on purpose
    data = {"model": "m", "version": "1", "environment": "production", "step": "full", "target": "prd"}
    data |= {"deployment": "m-1", "traffic": {"m-1": 100}}
    raw = synthetic.envelope("MLOpsReactor.RolloutObserved", "", data, WORKSPACE_ID, schema="cloudevents")
    assert environment_of(ev.parse(raw, internal=True), policy, WORKSPACE_ID) == "test"  # not the stage's prd
    assert environment_of(ev.parse(raw, internal=True), three(registry=REGISTRY), WORKSPACE_ID) == "prd"


def test_one_client_per_workspace_is_made_on_first_use_and_kept_within_a_bound() -> None:
    made: list[str] = []
    home = (TEST_SUBSCRIPTION, TEST_RG, "ml-ws")
    clients = WorkspaceClients(home, lambda scope: made.append(scope[2]) or scope[2], lambda r: f"registry {r}", 3)
    assert clients.workspace() == clients.workspace(WORKSPACE_ID.upper()) == "ml-ws"
    assert clients.workspace(TEST_WS) == clients.workspace(TEST_WS) == "ml-test"
    assert clients.registry(REGISTRY) == f"registry {REGISTRY}" and made == ["ml-ws", "ml-test"]
    clients.workspace(PRD_WS)  # a fourth client: the least recently used (ml-ws) goes
    clients.workspace()
    assert made == ["ml-ws", "ml-test", "ml-prd", "ml-ws"]
    assert clients.resource_id() == WORKSPACE_ID and clients.resource_id(PRD_WS + "/") == PRD_WS
    assert scope_of(PRD_WS) == (TEST_SUBSCRIPTION, TEST_RG, "ml-prd")
    with pytest.raises(UpstreamRejected, match="not an Azure ML workspace's ARM id"):
        scope_of("/subscriptions/x/resourceGroups/y")
