"""Azure ML and Azure Monitor failures translated into the error tree, naming what the operator should check."""

from __future__ import annotations

from shared.core.errors import ReactorError, TransientError, UpstreamRejected

_HINTS = {
    400: "refused ({detail}); check the target's instance_type, instance_count, environment and code in the policy",
    401: "no valid token for the app's identity ({detail}); check AZURE_CLIENT_ID",
    403: "forbidden ({detail}); the app's identity needs AzureML Data Scientist on the workspace "
    "(and Monitoring Reader for the endpoint's metrics)",
    404: "not found ({detail}); check the target's endpoint exists in its workspace (and, for a target in another "
    "workspace than the app's, that the version was copied to the registry)",
    409: "conflict ({detail}); the endpoint is being updated by someone else",
}


def translate(exc: BaseException, doing: str) -> ReactorError:
    """A ReactorError for an azure-core / azure-ai-ml exception raised while `doing` something."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    if isinstance(exc, ServiceRequestError | TimeoutError | ConnectionError):
        return TransientError(f"{doing}: could not reach Azure ({detail})")
    status = getattr(exc, "status_code", None) if isinstance(exc, HttpResponseError) else None
    return by_status(status, doing, detail)


def by_status(status: int | None, doing: str, detail: str) -> ReactorError:
    """Throttling and server errors pass; a refusal says what to check."""
    if status is None or status == 429 or status >= 500 or status == 408:
        return TransientError(f"{doing}: Azure answered {status or 'an error'} ({detail}); will retry")
    hint = _HINTS.get(status, "refused ({detail})").format(detail=detail)
    return UpstreamRejected(f"{doing}: HTTP {status}: {hint}")
