"""`python -m shared demo --guardrails` tells every guardrail's story, each on its own state."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.tools import cli, demo_guardrails


def test_every_scenario_runs_on_a_state_of_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--guardrails", "--state-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    count = len(demo_guardrails.SCENARIOS)
    for number, title in enumerate(demo_guardrails.SCENARIOS, start=1):
        assert f"== {number}/{count} {title}" in printed
        assert (tmp_path / f"guardrail-{number}").is_dir()
