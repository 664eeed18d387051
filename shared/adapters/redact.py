"""Secrets kept out of what we say and log: error messages, exception chains, urllib3's debug lines."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit


class RedactedError(Exception):
    """Stands in for a vendor exception whose text carried a secret (e.g. a webhook URL with its signature)."""


def url_secrets(url: str) -> tuple[str, ...]:
    """The parts of a URL that may authorise a call (query string, long query values), to keep out of messages."""
    query = urlsplit(url).query
    values = [part.partition("=")[2] for part in query.split("&")]
    return tuple(v for v in (url if query else "", query, *values) if len(v) >= 8)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (longest first) with a marker."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def safe_cause(exc: BaseException, secrets: Iterable[str]) -> BaseException:
    """The exception to chain with `from`: itself, or a redacted stand-in if its chain mentions a secret."""
    secrets = tuple(s for s in secrets if s)
    chain: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(f"{type(current).__name__}: {current!s} {current.args!r}")
        current = current.__cause__ or current.__context__
    text = " | ".join(chain)
    if not any(s in text for s in secrets):
        return exc
    stand_in = RedactedError(redact(text, secrets))
    stand_in.__traceback__ = exc.__traceback__
    stand_in.__suppress_context__ = True
    return stand_in


class _RedactingFilter(logging.Filter):
    """Rewrites urllib3's debug lines (which print the request path and query) without the registered secrets."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(s in text for s in self.secrets):
            record.msg, record.args = redact(text, self.secrets), None
        return True


_FILTER = _RedactingFilter()
logging.getLogger("urllib3.connectionpool").addFilter(_FILTER)


def keep_out_of_logs(url: str) -> None:
    """Register a secret URL's parts so urllib3's own log lines never show them."""
    with _FILTER.lock:
        _FILTER.secrets.update(url_secrets(url))
