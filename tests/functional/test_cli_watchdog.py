"""`python -m shared deploy`: a deployment written outside the loop, through the CLI of a local app."""

from __future__ import annotations

import json

import pytest

from shared.app.settings import Settings
from tests.functional.test_cli import cli


def test_deploy_outside_the_loop_pages_once_and_prints_each_write(settings: Settings) -> None:
    first = cli(settings, "deploy", "credit-risk-prod", "blue", "credit-risk:4", "--by", "Mallory")
    assert first.returncode == 0, first.stderr
    deployment_write, endpoint_write = (json.loads(line) for line in first.stdout.splitlines())
    assert deployment_write["actions"] == ["notify:done"]
    assert endpoint_write["actions"] == ["notify:already_done"]
    assert "credit-risk:4 takes 100% of production endpoint credit-risk-prod" in endpoint_write["error"]
    outbox = (settings.state_dir / "outbox").glob("*.txt")
    assert ["Written by: Mallory" in p.read_text(encoding="utf-8") for p in outbox] == [True]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("credit-risk-prod", "blue", "credit-risk"), "MODEL:VERSION expects"),
        (("credit-risk-prod", "blue", "credit-risk:4", "--traffic", "150"), "--traffic must be a percentage"),
    ],
)
def test_deploy_refuses_bad_arguments_with_exit_2(settings: Settings, args: tuple[str, ...], problem: str) -> None:
    done = cli(settings, "deploy", *args)
    assert done.returncode == 2 and problem in done.stderr
