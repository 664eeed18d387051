"""The "nothing lost" demo scenario runs on a fresh local app and tells what it recorded."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.store.sqlite import SqliteStore
from shared.core.dead_letters import LetterQuery
from shared.tools import demo_deadletters


def test_the_story_redrives_once_and_leaves_only_the_foreign_event_open(tmp_path: Path) -> None:
    lines: list[str] = []
    demo_deadletters.run(tmp_path, lines.append)
    text = "\n".join(lines)
    assert "dry run (all): 1 rejected, 2 handled; jobs submitted: 0" in text
    assert "--apply --reason misconfigured: 2 handled; jobs: 2" in text
    assert "--apply (all, again): 1 rejected, 2 skipped; jobs: 2" in text
    assert "registered-3 MaxDeliveryAttemptsExceeded/Forbidden" in text
    assert "--again: 1 duplicate" in text and "credit-risk:3 is now testing" in text
    store = SqliteStore(tmp_path / "reactor.db")
    assert [x["event_id"] for x in store.dead_letter_page(LetterQuery(status="open")).letters] == ["foreign-1"]
    assert store.get_record("credit-risk", "3") is not None
