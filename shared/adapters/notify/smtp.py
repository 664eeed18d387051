"""Notifier over plain SMTP (`smtplib`): STARTTLS unless turned off, AUTH when a user is set."""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from shared.adapters.notify.render.emails import render_email, require_recipients
from shared.adapters.recent import Recent
from shared.core.actions import Notify
from shared.core.errors import TransientError, UpstreamRejected
from shared.core.setting_names import SMTP_HOST, SMTP_PASSWORD, SMTP_STARTTLS, SMTP_USER


class SmtpNotifier:
    """Sends each notice once per key to the channel's recipients through one SMTP server."""

    def __init__(
        self,
        *,
        host: str,
        sender: str,
        to: tuple[str, ...],
        port: int = 587,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.host, self.port, self.sender, self.to = host, port, sender, to
        self.user, self._password = user, password
        self.starttls, self.tls_context, self.timeout = starttls, tls_context, timeout
        self._sent: Recent[bool] = Recent()

    def send(self, notice: Notify) -> None:
        """Deliver one multipart (text + HTML) message; its Message-ID is derived from the notice key."""
        if self._sent.get(notice.key):
            return
        require_recipients(notice, self.to)
        where = f"SMTP server {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=self.tls_context or ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self._password or "")
                smtp.send_message(self.message(notice))
        except smtplib.SMTPNotSupportedError as exc:
            raise UpstreamRejected(
                f"{where} does not offer STARTTLS or AUTH: use a server that does, or set "
                f"{SMTP_STARTTLS}=false only for a relay on a trusted network"
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise UpstreamRejected(
                f"{where} refused the login ({exc.smtp_code}): check {SMTP_USER} and {SMTP_PASSWORD}"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise UpstreamRejected(
                f"{where} refused every recipient of channel {notice.channel!r}: check its "
                "`to:` addresses in the policy"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            what = f"{where} answered {exc.smtp_code} {said[:120]}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(f"{what}: a temporary refusal, the event will be retried") from exc
            raise UpstreamRejected(f"{what}: check the sender address and the server's relay rules") from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ssl.SSLError, OSError) as exc:
            if isinstance(exc, ssl.SSLCertVerificationError):
                raise UpstreamRejected(f"{where}: its TLS certificate is not trusted ({exc.verify_message})") from exc
            raise TransientError(
                f"cannot talk to {where} ({type(exc).__name__}): check {SMTP_HOST} and the "
                "network; the event will be retried"
            ) from exc
        self._sent.put(notice.key, True)

    def message(self, notice: Notify) -> EmailMessage:
        """The MIME message for a notice."""
        rendered = render_email(notice)
        message = EmailMessage()
        message["Subject"] = rendered.subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["Date"] = formatdate(localtime=False)
        domain = self.sender.rpartition("@")[2] or socket.getfqdn()
        message["Message-ID"] = f"<{hashlib.sha256(notice.key.encode()).hexdigest()[:32]}@{domain}>"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message
