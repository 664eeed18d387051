"""Pick an adapter by the kind of a named policy entry (a CD target, a channel): built on first use, then kept."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Generic, Protocol, TypeVar

from shared.core.errors import PolicyError


class Entry(Protocol):
    """A named policy entry: it says which kind of adapter serves it."""

    @property
    def kind(self) -> str:
        """The adapter kind (`github`, `teams`, ...)."""
        ...


E = TypeVar("E", bound=Entry)
A = TypeVar("A")


class ByKind(Generic[E, A]):
    """The adapter for each named entry, built by its kind's builder the first time it is asked for (thread-safe)."""

    def __init__(self, entries: Mapping[str, E], builders: Mapping[str, Callable[[str, E], A]], unknown: str) -> None:
        self._entries, self._builders, self._unknown = entries, builders, unknown
        self._built: dict[str, A] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> A:
        """The adapter for `name`; a PolicyError when the policy has no such entry (`unknown` says what is missing)."""
        with self._lock:
            if name not in self._built:
                entry = self._entries.get(name)
                if entry is None:
                    raise PolicyError(f"policy: {self._unknown} {name!r}")
                self._built[name] = self._builders[entry.kind](name, entry)
            return self._built[name]
