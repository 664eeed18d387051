"""A real SMTP server for tests (aiosmtpd): keeps what it received, can refuse on purpose, STARTTLS and AUTH."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One message as delivered."""

    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class MailSink:
    """The handler: records messages; `data_reply` / `refuse` make it answer with errors."""

    received: list[Received] = field(default_factory=list)
    data_reply: str | None = None
    refuse: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        """Accept exactly user / right-password."""
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = auth_data.login == b"user" and auth_data.password == b"right-password"
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    @contextmanager
    def running(self, tls: ssl.SSLContext | None = None) -> Iterator[MailSink]:
        """Serve on a free port; with tls: STARTTLS required and AUTH required."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        extra: dict[str, Any] = {}
        if tls is not None:
            extra = {
                "tls_context": tls,
                "require_starttls": True,
                "authenticator": self.authenticate,
                "auth_required": True,
            }
        controller = Controller(self, hostname=self.host, port=self.port, **extra)
        controller.start()
        try:
            yield self
        finally:
            controller.stop()
