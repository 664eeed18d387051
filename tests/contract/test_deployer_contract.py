"""The Deployer contract: the same cases against the embedded recording deployer, GitHub and Azure DevOps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from shared.adapters.cd.recorder import RecordingDeployer
from shared.core.actions import TriggerCD
from shared.core.errors import GateViolation
from shared.core.ports import Deployer

STAGING = TriggerCD(key="evt-1:cd:staging", environment="staging", target="cd", model="credit-risk", version="7")
PRODUCTION = replace(STAGING, key="evt-2:cd:production", environment="production", approved_by="ml-lead@contoso")


@dataclass
class Harness:
    """A deployer and what its CD system received, as parameter dicts."""

    deployer: Deployer
    received: Callable[[], list[dict[str, str]]]


def _normalise(params: dict[str, str]) -> dict[str, str]:
    names = {"correlationId": "correlation_id", "approvedBy": "approved_by"}
    return {names.get(k, k): v for k, v in params.items()}


@pytest.fixture(params=["recording", "github", "azure_devops"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "recording":
        recorder = RecordingDeployer(tmp_path / "cd")
        return Harness(
            recorder,
            lambda: [
                {
                    "model": r.model,
                    "version": r.version,
                    "environment": r.environment,
                    "correlation_id": r.key,
                    **({"approved_by": r.approved_by} if r.approved_by else {}),
                }
                for r in recorder.requests()
            ],
        )
    if request.param == "github":
        server = request.getfixturevalue("github_server")
        return Harness(request.getfixturevalue("github"), lambda: [s.json()["inputs"] for s in server.seen])
    server = request.getfixturevalue("ado_server")
    return Harness(
        request.getfixturevalue("ado"), lambda: [_normalise(s.json()["templateParameters"]) for s in server.seen]
    )


def test_a_staging_request_reaches_cd_with_model_version_environment_and_correlation_id(harness: Harness) -> None:
    receipt = harness.deployer.deploy(STAGING)

    assert receipt.ref
    assert harness.received() == [
        {"model": "credit-risk", "version": "7", "environment": "staging", "correlation_id": "evt-1:cd:staging"}
    ]


def test_the_same_key_twice_deploys_once_and_answers_the_same_receipt(harness: Harness) -> None:
    first = harness.deployer.deploy(STAGING)
    second = harness.deployer.deploy(STAGING)

    assert first == second
    assert len(harness.received()) == 1


def test_different_keys_deploy_separately(harness: Harness) -> None:
    harness.deployer.deploy(STAGING)
    harness.deployer.deploy(replace(STAGING, key="evt-9:cd:staging", version="8"))

    assert [r["version"] for r in harness.received()] == ["7", "8"]


def test_production_is_refused_without_an_approver(harness: Harness) -> None:
    with pytest.raises(GateViolation, match="production"):
        harness.deployer.deploy(replace(PRODUCTION, approved_by=None))

    assert harness.received() == []


def test_production_with_an_approver_carries_who_approved(harness: Harness) -> None:
    harness.deployer.deploy(PRODUCTION)

    (received,) = harness.received()
    assert received["environment"] == "production"
    assert received["approved_by"] == "ml-lead@contoso"
