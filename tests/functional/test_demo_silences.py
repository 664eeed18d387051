"""The guardrails demo scenario for silences and the retrain budget tells its story and records it."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.notify.outbox import OutboxNotifier
from shared.tools import demo_silences


def test_the_demo_tells_the_silence_and_budget_story(tmp_path: Path) -> None:
    lines: list[str] = []
    demo_silences.run(tmp_path / "state", lines.append)
    text = "\n".join(lines)
    assert "storm: 200 failed runs in nightly-etl -> 0 on-call notices sent" in text
    assert "(not silenced) -> 1 notice sent" in text
    assert "it held back 1 run_failed" in text
    assert "4 drift breaches -> 2 retrains, 1 page to the owners" in text
    assert "the next breach retrains: True" in text
    sent = OutboxNotifier(tmp_path / "state" / "outbox").sent()
    assert [n.template for n in sent].count("silence_expired") == 1
    assert [n.template for n in sent].count("retrain_budget") == 1
