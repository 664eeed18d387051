"""The approvals demo scenario tells its story and leaves the state it tells of."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.store.sqlite import SqliteStore
from shared.tools import demo_approvals


def test_the_approvals_demo_refuses_counts_expires_renews_and_promotes_once(tmp_path: Path) -> None:
    lines: list[str] = []
    demo_approvals.run(tmp_path, lines.append)
    text = "\n".join(lines)
    assert "HTTP 422: four eyes: ana@contoso.example registered or trained credit-risk:1" in text
    assert "BO@CONTOSO.EXAMPLE approves credit-risk:1 -> HTTP 200: duplicate" in text
    assert "expire-approvals: handled, notices: approvals, data-science" in text
    assert "HTTP 422: the approval request for credit-risk:1 expired" in text
    assert "production CD requests: 1 (approved by bo@contoso.example, cy@contoso.example)" in text
    assert "HTTP 409: the decision of bo@contoso.example on credit-risk:2 was refused: the champion changed" in text
    store = SqliteStore(tmp_path / "reactor.db")
    v1, v2 = store.get_record("credit-risk", "1"), store.get_record("credit-risk", "2")
    assert v1 is not None and str(v1.stage) == "superseded"
    assert [v["by"] for v in v1.approval["votes"]] == ["bo@contoso.example", "cy@contoso.example"]
    assert v2 is not None and str(v2.stage) == "staging" and v2.approval["champion"] == "3"
