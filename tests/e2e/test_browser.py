"""A real headless Chromium (Debian's package) approves a staging version on the approval page, without JS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Host

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCRIPT = Path(__file__).with_name("approve_in_browser.cjs")
PLAYWRIGHT = Path(__file__).parents[2] / "tools" / "node_modules" / "playwright-core"


def _browser_or_skip() -> str:
    node = shutil.which("node")
    missing = [
        what
        for what, ok in (
            ("chromium (apt-get install chromium)", CHROMIUM.exists()),
            ("node", node is not None),
            ("playwright-core (npm ci in tools/)", PLAYWRIGHT.is_dir()),
        )
        if not ok
    ]
    if missing:
        message = f"browser test needs {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message + " (.ci/run installs them)")
        pytest.skip(message)
    assert node is not None
    return node


def test_approving_in_a_browser_changes_the_stage_and_records_the_approver(host: Host) -> None:
    node = _browser_or_skip()
    host.register()
    host.finish_test(auc=0.9, latency_ms=100)
    host.report("credit-risk", "1", "staging")
    url = host.client.approval_page("credit-risk", "1")

    done = subprocess.run(
        [node, str(SCRIPT), url, "ml-lead@contoso.example", "fine on staging"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert (shown["before"], shown["after"]) == ("staging", "approved")
    assert "approved by ml-lead@contoso.example" in shown["body"]
    assert shown["overflows"] is False  # readable on a phone: nothing scrolls sideways
    record = host.record("credit-risk", "1")
    assert record["stage"] == "approved"
    assert record["approved_by"] == "ml-lead@contoso.example"
    ledger = host.client.api("GET", "ledger/models/credit-risk/1").json()["ledger"]
    decided = [e for e in ledger if e["event_type"] == "MLOpsReactor.ApprovalDecided"]
    assert [t["by"] for e in decided for t in e["detail"]["transitions"]] == ["ml-lead@contoso.example"]
