"""Notifier on Microsoft Teams: posts an Adaptive Card to a Teams Workflows webhook (REST, `requests`)."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from shared.adapters.http_errors import Retry, Upstream, send
from shared.adapters.notify.render.cards import adaptive_card
from shared.adapters.recent import Recent
from shared.adapters.redact import keep_out_of_logs
from shared.core.actions import Notify
from shared.core.errors import UpstreamRejected


class TeamsNotifier:
    """Posts each notice once per key to one Workflows webhook URL (a secret: its `sig` authorises the post)."""

    def __init__(
        self,
        *,
        webhook_url: str,
        setting: str,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        retry: Retry | None = None,
    ) -> None:
        self._url = webhook_url
        keep_out_of_logs(webhook_url)
        self.setting = setting
        self.session = session or requests.Session()
        self.timeout, self.retry = timeout, retry
        self._sent: Recent[bool] = Recent()

    def send(self, notice: Notify) -> None:
        """Post the card; the Workflow runs later, so a 2xx means accepted, not yet shown in the channel."""
        if self._sent.get(notice.key):
            return
        host = (urlsplit(self._url).hostname or "").lower()
        if host.endswith(".webhook.office.com"):
            raise UpstreamRejected(
                f"the app setting {self.setting} holds an Office 365 connector URL, which Teams "
                "retired: create a Teams Workflow ('When a Teams webhook request is received') and "
                "put its URL there"
            )
        send(
            self.session,
            "POST",
            self._url,
            self._upstream(),
            timeout=self.timeout,
            retry=self.retry,
            json=adaptive_card(notice),
        )
        self._sent.put(notice.key, True)

    def _upstream(self) -> Upstream:
        fix = f"create the Workflow again and put its new URL in the app setting {self.setting}"
        return Upstream(
            service="the Teams Workflow",
            subject=f"the webhook in {self.setting}",
            secrets=(self._url,),
            hints={
                400: "the Workflow refused the card: check it uses the 'When a Teams webhook request is "
                "received' trigger and posts the attachments as an Adaptive Card",
                401: f"the URL's signature was refused: {fix}",
                403: f"the URL's signature was refused or the flow is disabled: turn it on, or {fix}",
                404: f"the Workflow no longer exists (old logic.azure.com URLs stopped working): {fix}",
                413: "the card was too large for Teams (about 28 KB at most)",
                422: "the Workflow could not read the card envelope",
            },
        )
