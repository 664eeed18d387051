"""The rollout demo tells a canary that passes and one rolled back, on a fresh local app."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.store.sqlite import SqliteStore
from shared.tools import demo_rollout


def test_the_demo_shows_a_canary_that_passes_and_one_that_is_rolled_back(tmp_path: Path) -> None:
    lines: list[str] = []
    demo_rollout.run(tmp_path, lines.append)
    text = "\n".join(lines)
    for step in ("1:full", "2:mirror", "2:canary", "2:full", "2:production", "2:retire", "3:canary", "3:rollback"):
        assert f"rollout:credit-risk:{step}: handled" in text
    assert "production traffic: v1 90%, v2 10%" in text and "production traffic: v2 90%, v3 10%" in text
    assert "stages: v1 superseded, v2 production, v3 rejected" in text
    assert "on-call page: Rollout of credit-risk:3 rolled back" in text and "Errors (5xx): 43" in text
    store = SqliteStore(tmp_path / "reactor.db")
    assert [r.version for r in store.records("credit-risk", "production")] == ["2"]
