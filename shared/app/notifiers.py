"""The Notifier the reactor uses: routes each notice to the adapter of its policy channel, built on first use."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.app.by_kind import ByKind
from shared.app.settings import (
    ACS_CONNECTION_STRING,
    ACS_ENDPOINT,
    EMAIL_SENDER,
    SMTP_HOST,
    SMTP_PASSWORD,
    SMTP_PORT,
    SMTP_STARTTLS,
    SMTP_USER,
    Settings,
    flag,
)
from shared.core.actions import Notify
from shared.core.errors import PermanentError, PolicyError
from shared.core.policy import Channel, Policy
from shared.core.ports import Notifier

if TYPE_CHECKING:
    import requests


class NotifierRouter:
    """Routes a Notify by `policy.channels[notice.channel].kind` (outbox, teams, email = ACS, smtp)."""

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        *,
        session: requests.Session | None = None,
        acs_client_kwargs: Mapping[str, Any] | None = None,
        smtp_tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings, self.policy = settings, policy
        self.session, self.acs_client_kwargs, self.smtp_tls_context = session, acs_client_kwargs, smtp_tls_context
        self._outbox: Notifier | None = None
        builders = {"outbox": self._outbox_of, "teams": self._teams, "email": self._email, "smtp": self._smtp}
        self.adapter: ByKind[Channel, Notifier] = ByKind(policy.channels, builders, "channels has no channel named")

    def send(self, notice: Notify) -> None:
        """Hand the notice to its channel's adapter."""
        self.adapter(notice.channel).send(notice)

    def _outbox_of(self, name: str, channel: Channel) -> Notifier:
        """One outbox for every outbox channel."""
        if self._outbox is None:
            from shared.adapters.notify.outbox import OutboxNotifier

            self._outbox = OutboxNotifier(self.settings.state_dir / "outbox")
        return self._outbox

    def _teams(self, name: str, channel: Channel) -> Notifier:
        from shared.adapters.notify.teams import TeamsNotifier

        if not channel.webhook_setting:
            raise PolicyError(f"policy: channels.{name}: a teams channel needs webhook_setting")
        return TeamsNotifier(
            webhook_url=self._need(name, channel.webhook_setting, secret=True),
            setting=channel.webhook_setting,
            session=self.session,
        )

    def _email(self, name: str, channel: Channel) -> Notifier:
        from shared.adapters.notify.acs_email import AcsEmailNotifier

        connection = self.settings.secret(ACS_CONNECTION_STRING)
        endpoint = None if connection else self._need(name, ACS_ENDPOINT, also=ACS_CONNECTION_STRING)
        return AcsEmailNotifier(
            sender=self._need(name, EMAIL_SENDER),
            to=channel.to,
            connection_string=connection,
            endpoint=endpoint,
            client_kwargs=self.acs_client_kwargs,
        )

    def _smtp(self, name: str, channel: Channel) -> Notifier:
        from shared.adapters.notify.smtp import SmtpNotifier

        env = self.settings.env
        starttls = flag(env.get(SMTP_STARTTLS), default=True)
        try:
            port = int(env.get(SMTP_PORT) or 587)
        except ValueError as exc:
            raise PermanentError(f"{SMTP_PORT} must be a port number") from exc
        return SmtpNotifier(
            host=self._need(name, SMTP_HOST),
            port=port,
            sender=self._need(name, EMAIL_SENDER),
            to=channel.to,
            user=env.get(SMTP_USER) or None,
            password=self.settings.secret(SMTP_PASSWORD),
            starttls=starttls,
            tls_context=self.smtp_tls_context,
        )

    def _need(self, channel: str, setting: str, *, secret: bool = False, also: str = "") -> str:
        value = self.settings.secret(setting) if secret else (self.settings.env.get(setting) or None)
        if not value:
            either = f" (or {also})" if also else ""
            raise PermanentError(f"channel {channel!r} needs the app setting {setting}{either}")
        return value


def build_notifier(
    settings: Settings,
    policy: Policy,
    *,
    session: requests.Session | None = None,
    acs_client_kwargs: Mapping[str, Any] | None = None,
    smtp_tls_context: ssl.SSLContext | None = None,
) -> Notifier:
    """The composition root's Notifier: every policy channel, each adapter built on its first notice."""
    return NotifierRouter(
        settings, policy, session=session, acs_client_kwargs=acs_client_kwargs, smtp_tls_context=smtp_tls_context
    )
