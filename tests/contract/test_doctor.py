"""`python -m shared doctor`: what the pipelines need, checked read-only with the real MLClient against the ARM fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.app.settings import Settings
from shared.tools import doctor
from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, FakeAzureML


@pytest.fixture
def arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzureML]:
    monkeypatch.setenv("AZUREML_CURRENT_CLOUD", "AzureCloud")
    with FakeAzureML(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.cert))
        yield server


def settings(tmp_path: Path, mode: str, policy: str = "policy.azure.yaml") -> Settings:
    env = {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION, "AZURE_RESOURCE_GROUP": RESOURCE_GROUP}
    env |= {"AZUREML_WORKSPACE_NAME": WORKSPACE, "REACTOR_MODE": mode, "REACTOR_POLICY": policy}
    return Settings.from_env({**env, "REACTOR_STATE_DIR": str(tmp_path)})


def run(config: Settings, client: object = None) -> tuple[int, list[str]]:
    lines: list[str] = []
    return doctor.run(config, client, lines.append), lines


def test_local_mode_lists_every_need_and_checks_nothing(tmp_path: Path) -> None:
    code, lines = run(settings(tmp_path, "local"))
    text = "\n".join(lines)
    assert code == 0
    for need in (
        "compute cpu-cluster",
        "data credit-risk-test:1",
        "data credit-risk-train:1",
        "environment AzureML-sklearn-1.5@latest",
        "component mlops_reactor_evaluate",
        "role AzureML Data Scientist",
        "role Storage Blob Data Contributor",
    ):
        assert need in text
    assert "nothing checked" in text


def test_a_complete_workspace_has_no_problem(tmp_path: Path, arm: FakeAzureML) -> None:
    arm.add_compute("cpu-cluster")
    arm.add_data("credit-risk-test", "1")
    arm.add_data("credit-risk-train", "1")
    arm.add_environment("AzureML-sklearn-1.5", "12")
    arm.add_default_datastore(identity_based=True)
    code, lines = run(settings(tmp_path, "azure"), arm.client())
    assert code == 0, lines
    assert lines[-1] == "0 problem(s)"
    assert any("[manual] role Storage Blob Data Contributor" in line and "identity-based" in line for line in lines)
    assert {r.method for r in arm.requests} == {"GET"}  # read-only


def test_every_missing_thing_is_reported_at_once_with_its_fix(tmp_path: Path, arm: FakeAzureML) -> None:
    arm.add_data("credit-risk-test", "1")
    arm.add_default_datastore(identity_based=False)
    code, lines = run(settings(tmp_path, "azure"), arm.client())
    problems = [line for line in lines if line.startswith("PROBLEM")]
    assert code == 1
    assert len(problems) == 3 and lines[-1] == "3 problem(s)"
    assert any("compute cpu-cluster" in p and "not found" in p and "az ml compute create" in p for p in problems)
    assert any("data credit-risk-train:1" in p and "az ml data create" in p for p in problems)
    assert any("environment AzureML-sklearn-1.5" in p for p in problems)
    assert any("[ok] role Storage Blob Data Contributor" in line and "not needed" in line for line in lines)


def test_the_local_policy_in_azure_mode_is_a_problem_too(tmp_path: Path, arm: FakeAzureML) -> None:
    code, lines = run(settings(tmp_path, "azure", "policy.yaml"), arm.client())
    assert code == 1
    assert any(line.startswith("PROBLEM policy cd_targets.local-cd.kind") for line in lines)
