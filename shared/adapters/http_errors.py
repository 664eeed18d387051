"""Map `requests` outcomes into the error tree: bounded 429 retries, transient failures, operator-fixable refusals."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3

from shared.adapters.redact import redact, safe_cause, url_secrets
from shared.core.errors import TransientError, UpstreamRejected

GENERIC_HINT = "the request was refused; see the upstream message"


@dataclass(frozen=True, kw_only=True)
class Upstream:
    """Who is called, about what, and what the operator should check for each refusal (status -> hint)."""

    service: str
    subject: str
    hints: Mapping[int, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Retry:
    """The in-process retry for throttling only: at most `attempts` tries, never waiting more than `cap` seconds."""

    attempts: int = 3
    cap: float = 5.0
    sleep: Callable[[float], None] = time.sleep


def send(
    session: requests.Session,
    method: str,
    url: str,
    upstream: Upstream,
    *,
    timeout: float = 10.0,
    retry: Retry | None = None,
    **kwargs: Any,
) -> requests.Response:
    """Send once (again only after a 429 with a short Retry-After); return a 2xx response or raise from the tree."""
    retry = retry or Retry()
    for attempt in range(1, retry.attempts + 1):
        response = _request(session, method, url, upstream, timeout=timeout, **kwargs)
        wait = throttled_for(response)
        if wait is None:
            return check(response, upstream)
        if attempt < retry.attempts and wait <= retry.cap:
            retry.sleep(wait)
            continue
        raise TransientError(
            f"{upstream.service} is throttling requests for {upstream.subject} "
            f"(HTTP {response.status_code}): retry after {wait:g}s",
            retry_after=wait,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _request(
    session: requests.Session, method: str, url: str, upstream: Upstream, *, timeout: float, **kwargs: Any
) -> requests.Response:
    secrets = (*upstream.secrets, *url_secrets(url))
    try:
        return session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except (
        requests.Timeout,
        requests.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    ) as exc:
        sent = not _before_sending(exc)
        what = (
            f"{upstream.service} did not answer within {timeout:g}s"
            if isinstance(exc, requests.Timeout)
            else f"cannot reach {upstream.service}"
            if not sent
            else f"lost the answer of {upstream.service}"
        )
        raise TransientError(f"{what} for {upstream.subject} ({type(exc).__name__})", maybe_done=sent) from safe_cause(
            exc, secrets
        )
    except requests.RequestException as exc:
        raise UpstreamRejected(
            f"cannot build the request to {upstream.service} for {upstream.subject} "
            f"({type(exc).__name__}): check the configured URL"
        ) from safe_cause(exc, secrets)


def _before_sending(exc: requests.RequestException) -> bool:
    """Whether the request surely never reached the service (it failed while connecting)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", cause)  # urllib3 wraps the connect failure in MaxRetryError
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError)


def check(response: requests.Response, upstream: Upstream) -> requests.Response:
    """A 2xx passes; 5xx and 408 are transient; anything else is refused, with what to fix."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    if status >= 500 or status == 408:
        raise TransientError(
            f"{upstream.service} answered {status} for {upstream.subject}: a server-side failure, "
            "the event will be retried",
            retry_after=retry_after(response),
        )
    hint = upstream.hints.get(status, GENERIC_HINT)
    if 300 <= status < 400:
        hint = "it answered a redirect: check the configured base URL and the credentials"
    detail = upstream_message(response, (*upstream.secrets, *url_secrets(response.url or "")))
    raise UpstreamRejected(
        f"{upstream.service} answered {status} for {upstream.subject}: {hint}"
        + (f" (upstream said: {detail})" if detail else "")
    )


def throttled_for(response: requests.Response) -> float | None:
    """Seconds to wait when the answer is a rate limit (429, or GitHub's 403 rate limit), else None."""
    headers = response.headers
    limited = response.status_code == 429 or (
        response.status_code == 403 and ("Retry-After" in headers or headers.get("x-ratelimit-remaining") == "0")
    )
    if not limited:
        return None
    wait = retry_after(response)
    if wait is None and headers.get("x-ratelimit-reset", "").isdigit():
        wait = max(0.0, int(headers["x-ratelimit-reset"]) - time.time())
    return 1.0 if wait is None else wait


def retry_after(response: requests.Response) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), if present and readable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def upstream_message(response: requests.Response, secrets: Iterable[str] = ()) -> str:
    """The upstream's own error message (JSON `message`, else the start of the body), short and redacted."""
    try:
        body = response.json()
        text = str(body.get("message") or body.get("error") or "") if isinstance(body, dict) else ""
    except ValueError:
        text = "" if "html" in response.headers.get("Content-Type", "") else response.text
    text = " ".join(text.split())
    return redact(text[:200], secrets)
