"""Fixtures shared by every test: a reactor on embedded adapters in a temp folder, with a settable clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor

EVENTS = Path(__file__).parent / "events"
TEST_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
TEST_RG = "ml-rg"
TEST_WORKSPACE = "ml-ws"
WORKSPACE_ID = (
    f"/subscriptions/{TEST_SUBSCRIPTION}/resourceGroups/{TEST_RG}"
    "/providers/Microsoft.MachineLearningServices/workspaces/ml-ws"
)


def load_event(name: str) -> Any:
    """A JSON delivery from tests/events/."""
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Local mode, the test workspace trusted, state in a temp folder."""
    return Settings.from_env(
        {
            "REACTOR_MODE": "local",
            "REACTOR_STATE_DIR": str(tmp_path / "state"),
            "AZURE_SUBSCRIPTION_ID": TEST_SUBSCRIPTION,
            "AZURE_RESOURCE_GROUP": TEST_RG,
            "AZUREML_WORKSPACE_NAME": TEST_WORKSPACE,
        }
    )


@pytest.fixture
def clock() -> FixedClock:
    """Starts at 2026-11-22 09:00 UTC and moves only when told."""
    return FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


@pytest.fixture
def reactor(settings: Settings, clock: FixedClock) -> Reactor:
    """The real core on embedded adapters."""
    return bootstrap.build(settings, clock=clock)
