"""The `reconcile` section of policy.yaml: when in-flight work counts as overdue, and who hears of a silence."""

from __future__ import annotations

from pydantic import Field

from shared.core.policy_sections import Strict


class Reconcile(Strict):
    """What the reconcile timer checks: jobs and CD requests without news, and a workspace gone quiet."""

    job_timeout_minutes: int = Field(default=180, ge=1)  # a submitted job older than this: ask the workspace
    cd_report_timeout_minutes: int = Field(default=120, ge=1)  # a CD request unreported after this: alert
    heartbeat_minutes: int = Field(default=0, ge=0)  # no event for this long: notice the platform owners; 0: off
    channels: tuple[str, ...] = ()  # the platform owners (lost jobs, silences); unset: the on-call channels
    batch: int = Field(default=200, ge=1, le=5000)  # items checked per run at most; the rest next run
