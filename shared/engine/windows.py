"""The alert windows other events own, remembered so the rest of a storm is recorded in one write (bounded)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Container, Iterable, Mapping

from shared.core.state import Intent, IntentStatus


class TakenWindows(Container[str]):
    """The newest `size` alert-window keys known to be owned by another event; a window key is never freed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def remember(self, intents: Iterable[Intent], taken: Mapping[str, IntentStatus]) -> None:
        """Keep the windowed intents a commit found taken; forget the oldest beyond `size`."""
        for intent in intents:
            if intent.window and intent.key in taken:
                self._keys[intent.key] = None
                self._keys.move_to_end(intent.key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)
