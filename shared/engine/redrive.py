"""Bulk redrive of the app's own dead letters: one page of a filter, each open letter's event replayed by id.

The same call as `POST /api/replay {"event_id": ...}` (the stored event, `internal`, `replayed`): decisions and
effect keys come from what happens, so a redrive twice, or a redrive and a redelivery, act once. A dry run (the
default) plans and records nothing. A page is bounded (`query.limit` letters read); `next` goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.core.dead_letters import FAILED, OPEN, SUPERSEDED, LetterQuery
from shared.engine.reactor import Reactor

SKIPPED_RESOLVED = "skipped: its event completed since (resolved)"
SKIPPED_FAILED = (
    "skipped: the event completed with a failed effect; a redrive would be a duplicate: replay it by id with "
    "force and a reason to act again"
)
SKIPPED_SEEN = "skipped: an earlier letter of this page holds the same event"
SKIPPED_SUPERSEDED = "skipped: a later letter of the same event stands for it (superseded)"
_SKIPPED = {FAILED: SKIPPED_FAILED, SUPERSEDED: SKIPPED_SUPERSEDED}


@dataclass(frozen=True)
class Redrive:
    """What a redrive did (or would do) with one page of letters."""

    dry_run: bool
    letters: list[dict[str, Any]] = field(default_factory=list)  # event_id, at, status, outcome, error, notes
    next: str | None = None

    def counts(self) -> dict[str, int]:
        """How many letters ended how (handled, duplicate, rejected, ignored, skipped)."""
        found: dict[str, int] = {}
        for letter in self.letters:
            key = str(letter["outcome"]).split(":", 1)[0]
            found[key] = found.get(key, 0) + 1
        return found

    def as_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "counts": self.counts(), "letters": self.letters, "next": self.next}


def redrive(reactor: Reactor, query: LetterQuery, *, dry_run: bool = True) -> Redrive:
    """Replay each open letter of one page of `query` through the core (dry run unless told otherwise)."""
    page = reactor.store.dead_letter_page(query)
    done: list[dict[str, Any]] = []
    seen: set[str] = set()
    for letter in page.letters:
        event_id = str(letter["event_id"])
        row = {"event_id": event_id, "event_type": letter["event_type"], "at": letter["at"], "status": letter["status"]}
        if letter["status"] != OPEN:
            done.append(row | {"outcome": _SKIPPED.get(letter["status"], SKIPPED_RESOLVED)})
            continue
        if event_id in seen:
            done.append(row | {"outcome": SKIPPED_SEEN})
            continue
        seen.add(event_id)
        stored = reactor.store.get_event(event_id) or letter["raw"]
        for outcome in reactor.handle_delivery(stored, dry_run=dry_run, internal=True, replayed=True):
            done.append(row | {"outcome": str(outcome.outcome), "error": outcome.error, "notes": list(outcome.notes)})
    return Redrive(dry_run=dry_run, letters=done, next=page.next)
