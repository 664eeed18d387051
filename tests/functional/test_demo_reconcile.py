"""The reconcile demo scenario tells its story and leaves the state it claims."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.notify.outbox import OutboxNotifier
from shared.app import bootstrap
from shared.tools.demo_reconcile import run


def test_the_reconcile_demo_finds_decides_once_and_notices_each_finding_once(tmp_path: Path) -> None:
    lines: list[str] = []
    run(tmp_path, lines.append)
    text = "\n".join(lines)
    assert "JobReconciled reconcile:completed:" in text and "handled -> trigger_cd=done" in text
    assert "arrives late: duplicate" in text
    assert "credit-risk:1 is candidate" in text
    assert text.count("ReconcileFinding reconcile:job_lost:") == 1
    assert text.count("ReconcileFinding reconcile:cd_check:") == 1
    assert "workspace_silent:2026-11-22T12:01:00+00:00: handled" in text
    assert "workspace_silent:2026-11-22T12:01:00+00:00: duplicate" in text
    assert lines[-1].endswith(
        "4 notice(s) in all: the lost job and the silence to on-call, the overdue CD to the model's channels"
    )
    app = bootstrap.local(tmp_path)  # the state the demo left
    outbox = app.notifier
    assert isinstance(outbox, OutboxNotifier)
    assert sorted(n.template for n in outbox.sent() if n.template != "verdict") == [
        "cd_overdue",
        "cd_overdue",
        "job_lost",
        "workspace_silent",
    ]
    assert [e.outcome for e in app.store.ledger(model="credit-risk", version="1")][-1] != "rejected"
    cd = app.store.get_job(next(j.name for j in app.store.jobs_for("credit-risk", "cd_staging")))
    assert cd is not None and cd.status == "Overdue"
