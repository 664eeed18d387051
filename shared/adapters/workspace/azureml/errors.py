"""Azure ML and MLflow failures translated into the error tree, with what the operator should check."""

from __future__ import annotations

from shared.core.errors import ReactorError, TransientError, UpstreamRejected

ROLE_HINT = "check that the app's managed identity has the AzureML Data Scientist role on workspace {ws}"
_HINTS = {
    400: "the request was refused ({detail}); check the job YAML under pipelines/ and the policy",
    401: "no valid token for the app's identity ({detail}); check AZURE_CLIENT_ID names the user-assigned "
    "managed identity of the Function App",
    403: ROLE_HINT + " ({detail})",
    404: "not found ({detail}); check AZURE_SUBSCRIPTION_ID / AZURE_RESOURCE_GROUP / AZUREML_WORKSPACE_NAME "
    "and that the model, data asset or job exists in workspace {ws}",
    409: "conflict ({detail})",
    422: "the request was refused ({detail}); check the job YAML under pipelines/",
}
ALREADY_EXISTS_CODES = ("Immutable", "JobPropertyImmutable")


def is_already_exists(exc: BaseException) -> bool:
    """Whether Azure ML refused a job because one with that name already exists (our idempotency key)."""
    status = getattr(exc, "status_code", None)
    if status not in (400, 409):
        return False
    error = getattr(exc, "error", None)
    codes = {getattr(error, "code", None)} | {getattr(getattr(error, "innererror", None), "code", None)}
    return "already exists" in str(exc).lower() or bool(codes & set(ALREADY_EXISTS_CODES))


def translate(exc: BaseException, doing: str, workspace: str) -> ReactorError:
    """A ReactorError for an azure-core, azure-ai-ml or MLflow exception raised while `doing` something."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    where = f"Azure ML workspace {workspace}: {doing}"
    if isinstance(exc, ServiceRequestError | TimeoutError | ConnectionError):
        return TransientError(f"{where}: could not reach the service ({_first_line(exc)})")
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        return _credential_error(exc, where)
    status = _status(exc)
    if isinstance(exc, HttpResponseError) or status is not None:
        return _by_status(exc, status, where, workspace)
    if type(exc).__module__.startswith("azure.ai.ml"):
        return UpstreamRejected(
            f"{where}: the Azure ML SDK refused the request ({_first_line(exc)}); "
            "check the job YAML under pipelines/ and the policy"
        )
    return TransientError(f"{where}: unexpected {type(exc).__name__} ({_first_line(exc)})")


def _by_status(exc: BaseException, status: int | None, where: str, workspace: str) -> ReactorError:
    detail = _first_line(exc)
    if status is None or status in (408, 429) or status >= 500:
        return TransientError(
            f"{where}: answered {status or 'no status'} ({detail}); will retry", retry_after=_retry_after(exc)
        )
    hint = _HINTS.get(status, "the request was refused ({detail})")
    return UpstreamRejected(f"{where}: answered {status}: " + hint.format(detail=detail, ws=workspace))


def _credential_error(exc: BaseException, where: str) -> ReactorError:
    if type(exc).__name__ == "CredentialUnavailableError":
        return UpstreamRejected(
            f"{where}: no credential available ({_first_line(exc)}); in Azure, enable the "
            "Function App's managed identity and set AZURE_CLIENT_ID to its client id"
        )
    return TransientError(f"{where}: could not get a token ({_first_line(exc)}); will retry")


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None and hasattr(exc, "get_http_status_code"):  # MlflowException
        code = getattr(exc, "error_code", "")
        status = 404 if code == "RESOURCE_DOES_NOT_EXIST" else exc.get_http_status_code()
    return int(status) if isinstance(status, int) else None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return min(float(value), 300.0) if value is not None else None
    except ValueError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
