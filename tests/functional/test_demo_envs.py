"""The dev / test / prd demo tells its story and leaves the state it describes."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.workspace.local import LocalWorkspace
from shared.app.settings import APP_ROOT
from shared.tools import demo_envs


def test_the_demo_copies_once_shows_each_steps_environment_and_refuses_the_stranger(tmp_path: Path) -> None:
    lines: list[str] = []
    demo_envs.run(tmp_path, lines.append)
    text = "\n".join(lines)
    assert "copy_to_registry()=done, trigger_cd(staging)=done" in text
    for shown in ("[dev] testing -> candidate", "[test] candidate -> staging", "[prd] approved -> production"):
        assert shown in text
    assert "ml-sandbox' is not the configured workspace" in text
    workspace = LocalWorkspace(tmp_path / "workspace.db", APP_ROOT, "unused")
    assert workspace.registry_models(demo_envs.REGISTRY) == [("credit-risk", "1")]
    store = SqliteStore(tmp_path / "reactor.db")
    assert len(store.dead_letters()) == 1
    record = store.get_record("credit-risk", "1")
    assert record is not None and [s.get("env") for s in record.history] == ["dev", "dev", "test", "test", "prd"]


def test_the_demo_stages_on_an_endpoint_in_test_and_releases_on_one_in_prd_from_the_registry(tmp_path: Path) -> None:
    lines: list[str] = []
    demo_envs.run(tmp_path, lines.append)
    text = "\n".join(lines)
    model = f"model azureml://registries/{demo_envs.REGISTRY}/models/credit-risk/versions/1"
    assert f"on endpoint credit-staging in test, {model}" in text
    assert f"on endpoint credit-prod in prd, {model}" in text
    assert "rollout:credit-risk:1:full: handled" in text
