"""Talk to a running Functions host (the dev host, `func start` or Azure) over HTTP, as Event Grid and CD would."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from shared.app.host_keys import KEYS_FILE as KEYS_FILE
from shared.app.host_keys import read_keys as read_keys
from shared.app.settings import EVENTGRID_KEY, FUNCTION_KEY, HOST_URL, Settings

EVENTGRID_PATH = "/runtime/webhooks/eventgrid"
DEFAULT_URL = "http://localhost:7071"


@dataclass(frozen=True)
class HostKeys:
    """The keys a caller presents: a function key for /api routes, the eventgrid_extension key for the webhook."""

    function: str | None = None
    eventgrid: str | None = None


def keys_for(
    settings: Settings, function: str | None = None, eventgrid: str | None = None, state_dir: Path | None = None
) -> HostKeys:
    """Explicit keys first, then the environment, then the dev host's key file."""
    stored = read_keys(state_dir or settings.state_dir)
    return HostKeys(
        function=function or settings.secret(FUNCTION_KEY) or stored.get("function"),
        eventgrid=eventgrid or settings.secret(EVENTGRID_KEY) or stored.get("eventgrid_extension"),
    )


def host_url(settings: Settings, url: str | None = None) -> str:
    """Where to send: --url, else REACTOR_HOST_URL, else localhost:7071 (where `func start` listens)."""
    return (url or settings.secret(HOST_URL) or DEFAULT_URL).rstrip("/")


def is_cloudevents(body: Any) -> bool:
    """True when the delivery is in the CloudEvents 1.0 schema."""
    items = body if isinstance(body, list) else [body]
    return any(isinstance(item, Mapping) and "specversion" in item for item in items)


def content_type(body: Any) -> str:
    """The Content-Type Event Grid puts on a delivery in this schema."""
    if not is_cloudevents(body):
        return "application/json"
    batch = "-batch" if isinstance(body, list) else ""
    return f"application/cloudevents{batch}+json; charset=utf-8"


class HostClient:
    """A Functions host at `url`: Event Grid deliveries to the webhook, calls to the /api routes."""

    def __init__(self, url: str, keys: HostKeys, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.keys = keys
        self.timeout = timeout
        self.session = requests.Session()

    def deliver(
        self, body: Any, function: str | None = None, event_type: str = "Notification", delivery_count: int = 1
    ) -> requests.Response:
        """POST a delivery with the headers Event Grid sends; the function follows the schema unless named."""
        name = function or ("aml_cloudevents" if is_cloudevents(body) else "aml_events")
        headers = {
            "aeg-event-type": event_type,
            "content-type": content_type(body),
            "aeg-subscription-name": "MLOPS-REACTOR-CLI",
            "aeg-delivery-count": str(delivery_count),
            "aeg-data-version": "",
            "aeg-metadata-version": "1",
        }
        if self.keys.eventgrid:
            headers["x-functions-key"] = self.keys.eventgrid
        return self.session.post(
            f"{self.url}{EVENTGRID_PATH}",
            params={"functionName": name},
            data=json.dumps(body).encode(),
            headers=headers,
            timeout=self.timeout,
        )

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        """Call an /api route with the function key; a JSON body when given."""
        headers = {"x-functions-key": self.keys.function} if self.keys.function else {}
        return self.session.request(
            method, f"{self.url}/api/{path.lstrip('/')}", json=body, headers=headers, timeout=self.timeout
        )

    def ledger_event(self, event_id: str) -> requests.Response:
        """What the host's ledger holds for one event (404 when nothing was recorded)."""
        return self.api("GET", f"ledger/events/{quote(event_id, safe='')}")

    def approval_page(self, model: str, version: str) -> str:
        """The approval page's URL, with the function key as `code` so a browser can open it."""
        code = f"?code={quote(self.keys.function)}" if self.keys.function else ""
        return f"{self.url}/api/approvals/{quote(model)}/{quote(version)}{code}"
