"""A real headless Chromium asks for a fresh approval request after the old one expired, then approves."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.app import bootstrap
from shared.app import settings as names
from shared.app.settings import APP_ROOT
from shared.engine.expiry import expire_approvals
from tests.e2e.conftest import Host
from tests.e2e.test_browser import _browser_or_skip

SCRIPT = Path(__file__).with_name("renew_in_browser.cjs")


def test_a_fresh_request_from_the_page_after_expiry_lets_the_approval_through(
    host: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = _browser_or_skip()
    policy = (APP_ROOT / "policy.yaml").read_text(encoding="utf-8").replace("expiry_hours: 168", "expiry_hours: 0.0002")
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    monkeypatch.setenv(names.POLICY, str(tmp_path / "policy.yaml"))  # a request expires after 0.72 s
    bootstrap.reset()
    host.register()
    host.finish_test(auc=0.9, latency_ms=100)
    host.report("credit-risk", "1", "staging")
    time.sleep(1.5)
    [expired] = expire_approvals(bootstrap.reactor(), datetime.now(UTC), 10)  # what the reconcile timer runs
    assert expired.outcome == "handled"

    done = subprocess.run(
        [node, str(SCRIPT), host.client.approval_page("credit-risk", "1"), "ml-lead@contoso.example"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["offered"] and "Expiresexpired" in shown["expires"].replace(" ", "")
    assert shown["renewed"] and shown["after"] == "approved"
    reasons = [step["reason"] for step in host.record("credit-risk", "1")["history"]]
    assert "fresh approval request asked by ml-lead@contoso.example" in reasons and reasons[-1] == "human approval"
