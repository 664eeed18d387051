"""Workspace.share_to_registry on the simulator and on the real MLClient against a local ARM with a registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.workspace.local import LocalWorkspace
from shared.app.azure import azureml_workspace
from shared.app.settings import APP_ROOT, Settings
from shared.core.errors import PermanentError
from tests.contract.arm_recorder import Answer
from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, WS_PATH
from tests.contract.registry_fake import REGISTRY, FakeRegistry


class Local:
    """The simulator: a registry refusal is set on it."""

    def __init__(self, tmp: Path) -> None:
        self.workspace = LocalWorkspace(tmp / "ws.db", APP_ROOT, WS_PATH)
        self.workspace.set_model_tags("credit-risk", "7", {})

    def refuse(self) -> None:
        self.workspace.registry_error = "AuthorizationFailed"

    def copies(self) -> int:
        return len(self.workspace.registry_models(REGISTRY))


class Azure:
    """The Azure ML adapter on the real MLClient; the registry's import refused with a 403 when told."""

    def __init__(self, tmp: Path, arm: FakeRegistry) -> None:
        self.arm = arm
        arm.register_model("credit-risk", "7", {})
        env = {
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "AZURE_RESOURCE_GROUP": RESOURCE_GROUP,
            "AZUREML_WORKSPACE_NAME": WORKSPACE,
            "REACTOR_STATE_DIR": str(tmp),
        }
        self.workspace = azureml_workspace(Settings.from_env(env), client=arm.client())

    def refuse(self) -> None:
        error = {"error": {"code": "AuthorizationFailed", "message": "no write access to the registry"}}
        self.arm.fail_next("POST", f"/registries/{REGISTRY}/import", Answer(403, error))

    def copies(self) -> int:
        return len(self.arm.find("POST", f"/registries/{REGISTRY}/import"))


@pytest.fixture
def registry_arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRegistry]:
    """FakeRegistry on HTTPS with a self-signed certificate the SDK trusts."""
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
    with FakeRegistry(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        yield server


@pytest.fixture(params=["local", "azureml"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Each Workspace implementation."""
    if request.param == "local":
        return Local(tmp_path)
    return Azure(tmp_path, request.getfixturevalue("registry_arm"))


def test_a_version_is_copied_once_and_a_second_copy_finds_it_there(side: Any) -> None:
    assert side.workspace.share_to_registry("credit-risk", "7", REGISTRY) is True
    assert side.workspace.share_to_registry("credit-risk", "7", REGISTRY) is False
    assert side.copies() == 1


def test_a_refused_copy_is_a_permanent_error_naming_the_model(side: Any) -> None:
    side.refuse()
    with pytest.raises(PermanentError, match="credit-risk:7"):
        side.workspace.share_to_registry("credit-risk", "7", REGISTRY)


def test_the_copy_is_the_documented_import_of_the_workspace_asset(registry_arm: FakeRegistry, tmp_path: Path) -> None:
    azure = Azure(tmp_path, registry_arm)
    azure.workspace.share_to_registry("credit-risk", "7", REGISTRY)
    [discovery] = registry_arm.find("GET", f"/registries/{REGISTRY}/discovery")
    [copy] = registry_arm.find("POST", f"/registries/{REGISTRY}/import")
    assert "/resourceGroups/registries-rg/" in copy.path  # the registry's own group, as discovery said
    assert copy.json() == {
        "properties": {
            "referenceType": "Id",
            "destinationName": "credit-risk",
            "destinationVersion": "7",
            "sourceAssetId": "azureml://locations/westeurope/workspaces/00000000-aaaa-bbbb-cccc-000000000000"
            "/models/credit-risk/versions/7",
        }
    }
    assert copy.headers.get("authorization", copy.headers.get("Authorization", "")).startswith("Bearer ")
    assert discovery.query.get("api-version") == ["v1.0"]
