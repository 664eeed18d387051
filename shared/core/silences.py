"""Silences: time-boxed holds on notices per experiment, model, monitor or channel (glob), with who and why.

Pure: which notice a silence holds back (`core/guards.py` marks them in a plan). The engine loads the active
silences; the executor records a marked notice as held back (counted per silence) instead of sending it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Literal, cast

from shared.core.actions import Notify

Scope = Literal["experiment", "model", "monitor", "channel"]
SCOPES: tuple[Scope, ...] = ("experiment", "model", "monitor", "channel")
EXPIRY_TEMPLATE = "silence_expired"
UNHELD = (EXPIRY_TEMPLATE,)  # notices about silences themselves are never held back


@dataclass(frozen=True, kw_only=True)
class Silence:
    """A hold on matching notices from `starts` until `until` (ISO times), set by a person for a reason."""

    id: str
    scope: Scope
    pattern: str
    starts: str
    until: str
    by: str
    why: str
    notify: str = ""  # the channel the expiry notice goes to; "": the on-call channels
    ended_at: str | None = None
    ended_by: str | None = None

    def active(self, now: datetime) -> bool:
        """Whether it holds notices at `now`: started, not past its time, not ended by a person."""
        return self.ended_at is None and self._box[0] <= now < self._box[1]

    def matches(self, notice: Notify) -> bool:
        """Whether the notice is about what this silence covers (case-insensitive glob)."""
        return any(self._glob.fullmatch(v.lower()) for v in subjects_of(notice, self.scope))

    @cached_property
    def _box(self) -> tuple[datetime, datetime]:  # parsed once: every event of a storm asks
        return datetime.fromisoformat(self.starts), datetime.fromisoformat(self.until)

    @cached_property
    def _glob(self) -> re.Pattern[str]:
        return re.compile(fnmatch.translate(self.pattern.lower()))


def subjects_of(notice: Notify, scope: Scope) -> tuple[str, ...]:
    """What a notice is about, for one scope: its channel, or the experiment, model or monitor its facts name."""
    facts = notice.facts
    if scope == "channel":
        return (notice.channel,)
    if scope == "experiment":
        return tuple(v for v in (facts.get("Experiment"),) if v)
    if scope == "monitor":
        named = facts.get("Monitor") or (facts.get("Experiment") if notice.template == "monitor_failed" else None)
        return (named,) if named else ()
    model = facts.get("Model") or ""  # "name" or "name:version": both forms match
    return (model, model.split(":", 1)[0]) if model else ()


def holding(silences: tuple[Silence, ...], notice: Notify, now: datetime) -> Silence | None:
    """The silence that holds this notice back at `now`, if any (the one set first, for a stable answer)."""
    if notice.template in UNHELD:
        return None
    found = [s for s in silences if s.active(now) and s.matches(notice)]
    return min(found, key=lambda s: (s.starts, s.id)) if found else None


def silence_id(scope: str, pattern: str, until: str, by: str, why: str) -> str:
    """A silence's id from what it is: the same request sent twice is one silence."""
    seed = json.dumps([scope, pattern.lower(), until, by.lower(), why], separators=(",", ":"))
    return "sil-" + hashlib.sha256(seed.encode()).hexdigest()[:12]


def scope_of(value: str) -> Scope:
    """A scope name, checked by the caller against SCOPES."""
    return cast(Scope, value)
