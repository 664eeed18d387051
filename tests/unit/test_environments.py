"""Dev / test / prd in the policy: validation, which workspaces are trusted, attribution, the registry copy."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from shared.app.settings import APP_ROOT
from shared.core import events as ev
from shared.core.environments import environment_of, registry_copy
from shared.core.errors import PolicyError, UntrustedSource
from shared.core.lifecycle import ModelVersionRecord
from shared.core.policy import Policy, parse_policy
from shared.core.state import Intent, IntentStatus
from shared.engine.intake import admit
from shared.engine.registry_order import after_copy
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID

TEST_WS = WORKSPACE_ID.rsplit("/", 1)[0] + "/ml-test"
PRD_WS = WORKSPACE_ID.rsplit("/", 1)[0] + "/ml-prd"


def document(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((APP_ROOT / "policy.yaml").read_text(encoding="utf-8"))
    doc.update(extra)
    return doc


def three(**extra: Any) -> Policy:
    listed = [
        {"id": WORKSPACE_ID, "environment": "dev"},
        {"id": TEST_WS, "environment": "test"},
        {"id": PRD_WS, "environment": "prd"},
    ]
    return parse_policy(document(workspaces=listed, **extra))


def test_without_the_section_the_policy_lists_no_workspace_and_no_registry() -> None:
    policy = parse_policy(document())
    assert policy.workspaces == () and policy.registry is None


@pytest.mark.parametrize(
    ("workspaces", "registry", "where"),
    [
        ([{"id": WORKSPACE_ID, "environment": "staging"}], None, "workspaces.0.environment"),
        ([{"id": "ml-ws", "environment": "dev"}], None, "workspaces.0.id"),
        ([{"id": WORKSPACE_ID, "environment": "dev", "region": "x"}], None, "workspaces.0.region"),
        (
            [{"id": WORKSPACE_ID, "environment": "dev"}, {"id": WORKSPACE_ID.upper(), "environment": "prd"}],
            None,
            "twice",
        ),
        ([{"id": PRD_WS, "environment": "prd"}], "models", "registry: needs a workspace with environment: dev"),
        ([{"id": WORKSPACE_ID, "environment": "dev"}], "bad name!", "registry"),
    ],
)
def test_a_bad_workspaces_section_is_refused_naming_the_field(workspaces: Any, registry: Any, where: str) -> None:
    with pytest.raises(PolicyError, match=where.replace(".", r"\.")):
        parse_policy(document(workspaces=workspaces, registry=registry), "p.yaml")


def test_every_listed_workspace_is_trusted_and_an_unlisted_one_is_refused_naming_it() -> None:
    policy = three()
    also = tuple(w.id for w in policy.workspaces)
    for source in (WORKSPACE_ID, TEST_WS, PRD_WS.upper()):
        raw = synthetic.build("model_registered", source)
        assert isinstance(
            admit(raw, internal=False, replayed=False, workspace_id=WORKSPACE_ID, problems=(), also=also),
            ev.ModelRegistered,
        )
    stranger = WORKSPACE_ID.rsplit("/", 1)[0] + "/ml-other"
    with pytest.raises(UntrustedSource, match=r"ml-other.*nor a workspace of the policy.*ml-test"):
        admit(
            synthetic.build("model_registered", stranger),
            internal=False,
            replayed=False,
            workspace_id=WORKSPACE_ID,
            problems=(),
            also=also,
        )


def test_a_resource_write_is_trusted_under_a_listed_workspace_only() -> None:
    also = tuple(w.id for w in three().workspaces)
    fine = synthetic.build("resource_write", PRD_WS, resource_uri=f"{PRD_WS}/onlineEndpoints/scoring")
    assert isinstance(
        admit(fine, internal=False, replayed=False, workspace_id=WORKSPACE_ID, problems=(), also=also),
        ev.EndpointWritten,
    )
    other = WORKSPACE_ID.rsplit("/", 1)[0] + "/ml-other"
    bad = synthetic.build("resource_write", PRD_WS, resource_uri=f"{other}/onlineEndpoints/scoring")
    with pytest.raises(UntrustedSource, match="not an endpoint of the configured workspace"):
        admit(bad, internal=False, replayed=False, workspace_id=WORKSPACE_ID, problems=(), also=also)


def _internal(kind: str, **data: Any) -> ev.Event:
    return ev.parse(synthetic.envelope(kind, "", data, WORKSPACE_ID, schema="cloudevents"), internal=True)


def test_events_are_attributed_to_their_workspace_and_internal_ones_to_the_stage_they_speak_of() -> None:
    policy = three()
    assert environment_of(ev.parse(synthetic.build("model_registered", WORKSPACE_ID)), policy, WORKSPACE_ID) == "dev"
    assert environment_of(ev.parse(synthetic.build("model_registered", TEST_WS)), policy, WORKSPACE_ID) == "test"
    staged = _internal(
        "MLOpsReactor.DeploymentReported", model="m", version="1", environment="staging", status="succeeded"
    )
    released = _internal(
        "MLOpsReactor.DeploymentReported", model="m", version="1", environment="production", status="succeeded"
    )
    approved = _internal("MLOpsReactor.ApprovalDecided", model="m", version="1", approver="a@b.c", decision="approve")
    assert [environment_of(e, policy, WORKSPACE_ID) for e in (staged, released, approved)] == ["test", "prd", "test"]
    assert environment_of(staged, parse_policy(document()), WORKSPACE_ID) is None  # no section: no environment


def test_the_registry_copy_is_planned_for_a_version_registered_in_dev_only() -> None:
    policy = three(registry="contoso-models")
    dev = ModelVersionRecord(model="m", version="2", history=({"to": "testing", "env": "dev"},))
    [copy] = registry_copy(dev, policy)
    assert (copy.key, copy.registry, copy.kind) == ("registry:m:2", "contoso-models", "copy_to_registry")
    prd = ModelVersionRecord(model="m", version="2", history=({"to": "testing", "env": "prd"},))
    assert registry_copy(prd, policy) == ()
    assert registry_copy(dev, three()) == ()  # no registry named


def test_a_registry_copy_from_an_app_workspace_that_is_not_dev_is_a_configuration_problem() -> None:
    from shared.core.config_check import problems_for_mode

    policy = three(registry="contoso-models")
    assert "workspaces" not in [p.path for p in problems_for_mode(policy, "azure", WORKSPACE_ID.upper())]
    assert problems_for_mode(policy, "local", WORKSPACE_ID) == ()
    [problem] = problems_for_mode(policy, "local", TEST_WS)
    assert problem.path == "workspaces" and "not the policy's dev workspace" in problem.reason
    assert problems_for_mode(three(), "local", TEST_WS) == ()  # no registry: nothing is shared from it
    assert "workspaces" in [p.path for p in problems_for_mode(policy, "azure", TEST_WS)]


def test_a_failed_copy_holds_its_versions_cd_back_even_under_a_forced_runs_suffixed_keys() -> None:
    copy = Intent(
        key="registry:m:1#force:abc",
        action={"kind": "copy_to_registry", "model": "m", "version": "1", "registry": "r"},
        status=IntentStatus.FAILED,
        result={"error": "denied"},
    )
    cd = Intent(
        key="cd:m:1:staging:job#force:abc",
        action={"kind": "trigger_cd", "model": "m", "version": "1", "environment": "staging"},
    )
    held = after_copy(cd, [copy], "2026-11-22T09:00:00+00:00")
    assert held.status is IntentStatus.FAILED and held.result["held_by"] == copy.key
    other = Intent(key="cd:n:1:staging:j", action={**cd.action, "model": "n"})
    assert after_copy(other, [copy], "t") is other  # another model's CD is not held
