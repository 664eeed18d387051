"""Event Grid's dead-letter blobs: list them classified, show one, and redrive their events through the core.

A redrive runs each blob's events, stripped of Event Grid's extra fields, as a delivery from Event Grid
(`replayed`, never `internal`: the same admission as a live delivery), so the event id makes it idempotent: an
event already handled is a duplicate. Unless it is a dry run (the default), the blob is then marked (metadata
`reactor_redriven_at`, `reactor_outcomes`) and a later redrive passes it by. A transient failure stops the page
before the blob is marked: the next run takes it again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.core.errors import PermanentError
from shared.core.eventgrid_letters import OUTCOMES, REDRIVEN, BlobRef, GivenUp, LetterBlobs, read_blob
from shared.engine.reactor import Reactor


def _events(found: list[GivenUp]) -> list[dict[str, Any]]:
    return [
        {
            "id": g.event_id,
            "type": g.event_type,
            "reason": g.reason,
            "last_outcome": g.last_outcome,
            "attempts": g.attempts,
            "published": g.published,
        }
        for g in found
    ]


def _row(blob: BlobRef) -> dict[str, Any]:
    return {
        "blob": blob.name,
        "created": blob.created,
        "redriven_at": blob.metadata.get(REDRIVEN),
        "outcomes": blob.metadata.get(OUTCOMES),
    }


def survey(blobs: LetterBlobs, prefix: str, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """One page of blobs, each with its events and why Event Grid gave up; counts by reason and last outcome."""
    page = blobs.list(prefix, limit, cursor)
    rows, classes = [], Counter[str]()
    for blob in page.blobs:
        row = _row(blob)
        try:
            found = read_blob(blob.name, blobs.read(blob.name))
        except PermanentError as exc:
            rows.append(row | {"error": str(exc), "events": []})
            continue
        classes.update(f"{g.reason}/{g.last_outcome}" for g in found)
        rows.append(row | {"events": _events(found)})
    return {"blobs": rows, "by_reason": dict(sorted(classes.items())), "next": page.next}


def show(blobs: LetterBlobs, name: str) -> dict[str, Any]:
    """One blob: each event as Event Grid sent it, and Event Grid's account of the delivery."""
    found = read_blob(name, blobs.read(name))
    return {"blob": name, "events": [{"event": g.event, **row} for g, row in zip(found, _events(found), strict=True)]}


def redrive_blobs(
    reactor: Reactor,
    blobs: LetterBlobs,
    prefix: str,
    limit: int,
    cursor: str | None = None,
    *,
    dry_run: bool = True,
    again: bool = False,
) -> dict[str, Any]:
    """Run one page of blobs' events through the core; mark each blob unless a dry run. `again`: marked ones too."""
    page = blobs.list(prefix, limit, cursor)
    rows, counts = [], Counter[str]()
    for blob in page.blobs:
        row = _row(blob)
        if row["redriven_at"] and not again:
            counts["skipped"] += 1
            rows.append(row | {"skipped": "redriven before"})
            continue
        try:
            found = read_blob(blob.name, blobs.read(blob.name))
        except PermanentError as exc:
            counts["unreadable"] += 1
            rows.append(row | {"error": str(exc)})
            continue
        outcomes = reactor.handle_delivery([g.event for g in found], dry_run=dry_run, replayed=True)
        came = Counter(str(o.outcome) for o in outcomes)
        counts.update(came)
        summary = ",".join(f"{k}={v}" for k, v in sorted(came.items()))
        if not dry_run:
            blobs.mark(blob.name, {REDRIVEN: reactor.clock.now().isoformat(), OUTCOMES: summary})
        rows.append(row | {"events": [o.as_json() for o in outcomes], "result": summary})
    return {"dry_run": dry_run, "counts": dict(sorted(counts.items())), "blobs": rows, "next": page.next}
