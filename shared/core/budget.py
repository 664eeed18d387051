"""A model's retrain budget: at most `max` retrains in any `window_hours`, counted since the last reset."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.core.policy_sections import RetrainBudget
from shared.core.ports import JobRef


@dataclass(frozen=True, kw_only=True)
class Spent:
    """The budget is used up: how many retrains count, the oldest of them, and when the next one is allowed."""

    count: int
    oldest: str
    frees_at: datetime


def spent(budget: RetrainBudget, jobs: Iterable[JobRef], reset_at: str | None, now: datetime) -> Spent | None:
    """None while another retrain fits. A retrain counts if submitted in (now - window, now] and after the reset."""
    window = timedelta(hours=budget.window_hours)
    floor = now - window
    if reset_at is not None:
        floor = max(floor, datetime.fromisoformat(reset_at))
    counted = sorted(at for j in jobs if floor < (at := datetime.fromisoformat(j.submitted_at)) <= now)
    if len(counted) < budget.max:
        return None
    oldest = counted[-budget.max]  # the retrain whose leaving the window frees a slot
    return Spent(count=len(counted), oldest=oldest.isoformat(), frees_at=oldest + window)
