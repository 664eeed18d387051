"""Retention: completed history older than the configured days is pruned once a day (REACTOR_RETENTION_DAYS)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from shared.core.ports import Store

MARK = "retention:pruned-before"  # the cut-off of the last run that finished: a day's later runs do nothing
LEAST_DAYS = 2  # Event Grid redelivers for 24 hours: a redelivery of a pruned event would run again


def prune_expired(store: Store, now: datetime, days: int) -> dict[str, int] | None:
    """Delete completed events, their done intents and dead letters from before midnight UTC `days` ago; None
    when today's run already did. A run cut short sets no mark: the next one goes on where it stopped."""
    if days < LEAST_DAYS:
        raise ValueError(f"retention must keep at least {LEAST_DAYS} days (got {days})")
    before = datetime.combine((now - timedelta(days=days)).date(), time(), tzinfo=now.tzinfo).isoformat()
    if store.get_mark(MARK) == before:
        return None
    counts = store.prune(before, apply=True)
    store.set_mark(MARK, before)
    return counts
