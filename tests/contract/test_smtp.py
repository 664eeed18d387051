"""SMTP against a real aiosmtpd server: the message received, STARTTLS + AUTH, and refusals mapped to the tree."""

from __future__ import annotations

import socket

import pytest

from shared.adapters.notify.smtp import SmtpNotifier
from shared.core.actions import Notify
from shared.core.errors import TransientError, UpstreamRejected
from tests.contract.mail_sink import MailSink
from tests.contract.tls import LocalTls

NOTICE = Notify(
    key="evt-1:notify:out_of_band:oncall",
    channel="oncall",
    template="out_of_band",
    title="Out-of-band deployment of m:<6> to production",
    facts={"Model": "m:<6>", "Problem": 'deployed while "rejected" & unapproved'},
    links={"CD run": "https://github.com/contoso/ml-deploy/actions/runs/1?a=1&b=2"},
)


def _smtp(sink: MailSink, **overrides: object) -> SmtpNotifier:
    options: dict[str, object] = {
        "host": sink.host,
        "port": sink.port,
        "sender": "reactor@contoso.example",
        "to": ("oncall@contoso.example", "lead@contoso.example"),
        "starttls": False,
    }
    return SmtpNotifier(**{**options, **overrides})  # type: ignore[arg-type]


def test_the_message_has_subject_both_parts_and_escaped_html(smtp_server: MailSink) -> None:
    _smtp(smtp_server).send(NOTICE)

    (got,) = smtp_server.received
    assert got.sender == "reactor@contoso.example"
    assert got.recipients == ["oncall@contoso.example", "lead@contoso.example"]
    message = got.message
    assert message["Subject"] == "[MLOps Reactor] Out-of-band deployment: Out-of-band deployment of m:<6> to production"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert 'Problem: deployed while "rejected" & unapproved' in text.get_content()
    html_body = html.get_content()
    assert "m:&lt;6&gt;" in html_body and "m:<6>" not in html_body
    assert "&quot;rejected&quot; &amp; unapproved" in html_body
    assert 'href="https://github.com/contoso/ml-deploy/actions/runs/1?a=1&amp;b=2"' in html_body


def test_the_message_id_is_derived_from_the_notice_key(smtp_server: MailSink) -> None:
    notifier = _smtp(smtp_server)

    assert notifier.message(NOTICE)["Message-ID"] == notifier.message(NOTICE)["Message-ID"]
    assert notifier.message(NOTICE)["Message-ID"].endswith("@contoso.example>")


def test_starttls_and_auth_with_a_trusted_certificate(tls: LocalTls) -> None:
    sink = MailSink()
    with sink.running(tls=tls.server_context()):
        _smtp(sink, starttls=True, tls_context=tls.client_context(), user="user", password="right-password").send(
            NOTICE
        )

    assert sink.logins == [("user", "right-password")]
    assert len(sink.received) == 1


def test_a_refused_login_names_the_settings_to_fix(tls: LocalTls) -> None:
    sink = MailSink()
    with (
        sink.running(tls=tls.server_context()),
        pytest.raises(UpstreamRejected, match="REACTOR_SMTP_USER and REACTOR_SMTP_PASSWORD"),
    ):
        _smtp(sink, starttls=True, tls_context=tls.client_context(), user="user", password="wrong").send(NOTICE)

    assert sink.received == []


def test_an_untrusted_certificate_is_refused(tls: LocalTls) -> None:
    sink = MailSink()
    with sink.running(tls=tls.server_context()), pytest.raises(UpstreamRejected, match="not trusted"):
        _smtp(sink, starttls=True, user="user", password="right-password").send(NOTICE)


def test_a_server_without_starttls_is_refused_when_starttls_is_on(smtp_server: MailSink) -> None:
    with pytest.raises(UpstreamRejected, match="REACTOR_SMTP_STARTTLS"):
        _smtp(smtp_server, starttls=True).send(NOTICE)

    assert smtp_server.received == []


def test_a_temporary_refusal_is_transient_and_a_permanent_one_is_not(smtp_server: MailSink) -> None:
    smtp_server.data_reply = "451 4.3.0 try again later"
    with pytest.raises(TransientError, match="451"):
        _smtp(smtp_server).send(NOTICE)

    smtp_server.data_reply = "554 5.7.1 relay denied"
    with pytest.raises(UpstreamRejected, match="554"):
        _smtp(smtp_server).send(NOTICE)


def test_refused_recipients_point_at_the_policy(smtp_server: MailSink) -> None:
    smtp_server.refuse = {"oncall@contoso.example", "lead@contoso.example"}

    with pytest.raises(UpstreamRejected, match="`to:` addresses"):
        _smtp(smtp_server).send(NOTICE)


def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    with pytest.raises(TransientError, match="cannot talk to SMTP server") as caught:
        SmtpNotifier(host="127.0.0.1", port=port, sender="a@b.example", to=("c@d.example",), timeout=2.0).send(NOTICE)
    assert caught.value.__cause__ is not None
