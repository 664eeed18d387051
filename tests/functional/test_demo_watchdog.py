"""The watchdog's demo scenario tells its story and leaves the state it describes."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.notify.outbox import OutboxNotifier
from shared.tools import demo_watchdog


def test_the_demo_pages_once_for_the_hand_made_hotfix_and_refuses_the_other_workspace(tmp_path: Path) -> None:
    lines: list[str] = []
    demo_watchdog.run(tmp_path, lines.append)
    text = "\n".join(lines)

    assert "on-call got 1 out-of-band page(s):" in text
    assert "Written by: Mallory Example <mallory@contoso.example>" in text
    assert "notify(oncall)=already_done" in text  # the second traffic change joins the first page
    assert "not an endpoint of the configured workspace" in text
    pages = [n for n in OutboxNotifier(tmp_path / "outbox").sent() if n.template == "out_of_band"]
    assert [(p.facts["Model"], p.facts["Deployment"]) for p in pages] == [("credit-risk:2", "green")]
