"""`python -m shared expire-approvals` and `request-approval`: what they do, and exit 2 on bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.clock import FixedClock
from tests.functional.driver import Driver
from tests.functional.races import to_staging
from tests.functional.test_cli import cli


def test_expire_then_ask_afresh_then_approve_from_the_command_line(settings: Settings) -> None:
    week_ago = FixedClock(datetime.now(UTC) - timedelta(hours=169))  # the CLI runs on the system clock
    to_staging(Driver(bootstrap.build(settings, clock=week_ago)))
    expired = cli(settings, "expire-approvals", "--limit", "5")
    assert expired.returncode == 0, expired.stderr
    assert "1 approval request(s) expired" in expired.stdout
    assert "0 approval request(s) expired" in cli(settings, "expire-approvals").stdout
    refused = cli(settings, "approve", "credit-risk:1", "--by", "ml-lead@contoso.example")
    assert refused.returncode == 2 and "fresh request" in refused.stdout
    asked = cli(settings, "request-approval", "credit-risk:1", "--by", "bo@contoso.example")
    assert asked.returncode == 0, asked.stdout + asked.stderr
    assert cli(settings, "approve", "credit-risk:1", "--by", "ml-lead@contoso.example").returncode == 0
    status = cli(settings, "status", "credit-risk:1").stdout
    assert "approval request expired" in status and "fresh approval request asked by bo@contoso.example" in status
    assert "approvals ml-lead@contoso.example; expires -" in status  # decided: no longer waiting


def test_bad_input_exits_2_naming_the_problem(settings: Settings) -> None:
    no_version = cli(settings, "request-approval", "credit-risk", "--by", "bo")
    assert no_version.returncode == 2 and "MODEL:VERSION" in no_version.stderr
    limit = cli(settings, "expire-approvals", "--limit", "0")
    assert limit.returncode == 2 and "--limit" in limit.stderr
    unknown = cli(settings, "request-approval", "credit-risk:9", "--by", "bo")
    assert unknown.returncode == 2 and "only a version in staging" in unknown.stdout
