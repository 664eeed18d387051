"""What an adapter already did in this process, by idempotency key: a second ask with the same key is a no-op."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """A bounded, thread-safe memory of results by key (the store's effect records guard across processes)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> T | None:
        """The remembered result for key, if any."""
        with self._lock:
            return self._items.get(key)

    def put(self, key: str, value: T) -> None:
        """Remember a result, forgetting the oldest beyond the bound."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
