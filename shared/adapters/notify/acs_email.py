"""Notifier on Azure Communication Services Email (`azure-communication-email`, imported on first send)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol

from shared.adapters.identity import azure_credential
from shared.adapters.notify.render.emails import render_email, require_recipients
from shared.adapters.recent import Recent
from shared.core.actions import Notify
from shared.core.errors import PermanentError, TransientError, UpstreamRejected
from shared.core.setting_names import ACS_CONNECTION_STRING, ACS_ENDPOINT, EMAIL_SENDER

OPERATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:mlops-reactor:acs-email")
CLIENT_DEFAULTS: dict[str, Any] = {"retry_total": 2, "retry_backoff_max": 5}  # the platform does the long retries


class EmailSender(Protocol):
    """The slice of `EmailClient` this adapter calls."""

    def begin_send(self, message: Any, *, operation_id: str | None = None, **kwargs: Any) -> Any:
        """Start sending; returns an LROPoller."""
        ...


def operation_id(key: str) -> str:
    """The ACS Operation-Id for a notice: a UUID (the REST spec's format), the same for the same key."""
    return str(uuid.uuid5(OPERATION_NAMESPACE, key))


class AcsEmailNotifier:
    """Sends each notice to the channel's recipients; a retried send reuses its operation id."""

    def __init__(
        self,
        *,
        sender: str,
        to: tuple[str, ...],
        connection_string: str | None = None,
        endpoint: str | None = None,
        credential: Any = None,
        client: EmailSender | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
        wait_seconds: float = 5.0,
    ) -> None:
        self.sender, self.to = sender, to
        self._connection_string, self.endpoint, self._credential = connection_string, endpoint, credential
        self._client = client
        self.client_kwargs = {**CLIENT_DEFAULTS, **(client_kwargs or {})}
        self.wait_seconds = wait_seconds
        self._sent: Recent[bool] = Recent()

    def send(self, notice: Notify) -> None:
        """Send and wait a little for the outcome; still running after `wait_seconds` counts as accepted."""
        if self._sent.get(notice.key):
            return
        require_recipients(notice, self.to)
        from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

        try:
            poller = self.client().begin_send(self.message(notice), operation_id=operation_id(notice.key))
            poller.wait(self.wait_seconds)
            if poller.done():
                poller.result()
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise TransientError(
                f"cannot reach Azure Communication Services ({type(exc).__name__}); the event will be retried"
            ) from exc
        except HttpResponseError as exc:
            raise _translate(exc) from exc
        self._sent.put(notice.key, True)

    def message(self, notice: Notify) -> dict[str, Any]:
        """The EmailMessage body for a notice."""
        rendered = render_email(notice)
        return {
            "senderAddress": self.sender,
            "recipients": {"to": [{"address": address} for address in self.to]},
            "content": {"subject": rendered.subject, "plainText": rendered.text, "html": rendered.html},
            "userEngagementTrackingDisabled": True,
        }

    def client(self) -> EmailSender:
        """The EmailClient, built on first use from the connection string or the endpoint and an identity."""
        if self._client is None:
            from azure.communication.email import EmailClient

            if self._connection_string:
                try:
                    self._client = EmailClient.from_connection_string(self._connection_string, **self.client_kwargs)
                except ValueError as exc:
                    raise PermanentError(
                        f"{ACS_CONNECTION_STRING} is not an ACS connection string (endpoint=https://…;accesskey=…)"
                    ) from exc
            elif self.endpoint:
                credential = self._credential if self._credential is not None else azure_credential()
                self._client = EmailClient(self.endpoint, credential, **self.client_kwargs)
            else:
                raise PermanentError(f"email channels need {ACS_CONNECTION_STRING} or {ACS_ENDPOINT}")
        return self._client


def _translate(exc: Any) -> Exception:
    """An azure-core HttpResponseError as an error of the tree, saying what to fix."""
    status = exc.status_code
    said = _service_message(exc)
    if status is None or status in (408, 429) or status >= 500:
        after = exc.response.headers.get("retry-after") if exc.response is not None else None
        return TransientError(
            f"Azure Communication Services answered {status}{said}; the event will be retried",
            retry_after=float(after) if after and after.isdigit() else None,
        )
    hints = {
        400: f"check {EMAIL_SENDER} is an address of a domain connected to the ACS resource, and the recipients",
        401: f"the credentials were refused: check {ACS_CONNECTION_STRING} or the managed identity",
        403: "the managed identity may not send: give it a role on the Communication Services resource",
        404: f"check {ACS_ENDPOINT} (https://<resource>.communication.azure.com)",
    }
    if status < 400 and _body(exc).get("status") in ("Failed", "Canceled"):
        return UpstreamRejected(
            f"Azure Communication Services reported the send as failed{said}: check the "
            "recipients and the sender domain"
        )
    if status < 400:
        return UpstreamRejected(
            f"Azure Communication Services answered an unexpected {status}: check "
            f"{ACS_ENDPOINT} names a Communication Services resource"
        )
    return UpstreamRejected(
        f"Azure Communication Services answered {status}: {hints.get(status, 'the request was refused')}{said}"
    )


def _body(exc: Any) -> dict[str, Any]:
    try:
        body = exc.response.json() if exc.response is not None else None
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


def _service_message(exc: Any) -> str:
    error = _body(exc).get("error")
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    return f" (service said: {' '.join(message.split())[:200]})" if message else ""
