"""ACS email: the real EmailClient over HTTPS to a local server that checks the request and its HMAC signature."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from shared.adapters.notify.acs_email import AcsEmailNotifier, operation_id
from shared.core.actions import Notify
from shared.core.errors import TransientError, UpstreamRejected
from tests.contract import shapes
from tests.contract.stub_server import Answer, StubServer
from tests.contract.tls import LocalTls

NOTICE = Notify(
    key="evt-1:notify:run_failed:oncall",
    channel="oncall",
    template="run_failed",
    title="Run failed in <nightly>",
    facts={"Run": "r1"},
    links={"Run": "https://ml.azure.com/runs/r1"},
)


def _posts(server: StubServer) -> list[dict[str, object]]:
    return [s.json() for s in server.seen if s.method == "POST"]


def test_the_message_has_sender_recipients_subject_and_both_bodies(
    acs: AcsEmailNotifier, acs_server: StubServer
) -> None:
    acs.send(NOTICE)

    (body,) = _posts(acs_server)
    assert body["senderAddress"] == "DoNotReply@contoso.example"
    assert body["recipients"] == {"to": [{"address": "oncall@contoso.example"}]}
    content = body["content"]
    assert isinstance(content, dict)
    assert content["subject"] == "[MLOps Reactor] Run failed: Run failed in <nightly>"
    assert "Run failed in &lt;nightly&gt;" in content["html"]
    assert "Run: r1" in content["plainText"]


def test_the_operation_id_is_a_uuid5_of_the_notice_key_and_the_send_is_polled_to_the_end(
    acs: AcsEmailNotifier, acs_server: StubServer
) -> None:
    acs.send(NOTICE)

    sent, poll = acs_server.seen
    assert sent.headers["operation-id"] == operation_id(NOTICE.key)
    assert uuid.UUID(operation_id(NOTICE.key)).version == 5
    assert operation_id(NOTICE.key) != operation_id(NOTICE.key + "x")
    assert poll.method == "GET" and poll.path == f"/emails/operations/{operation_id(NOTICE.key)}"


@pytest.mark.parametrize(
    ("status", "error", "fix"),
    [
        (401, UpstreamRejected, "check REACTOR_ACS_CONNECTION_STRING"),
        (403, UpstreamRejected, "give it a role on the Communication Services resource"),
        (404, UpstreamRejected, "check REACTOR_ACS_ENDPOINT"),
        (429, TransientError, "answered 429"),
        (500, TransientError, "answered 500"),
    ],
)
def test_failures_map_to_the_error_tree(
    acs: AcsEmailNotifier, acs_server: StubServer, status: int, error: type[Exception], fix: str
) -> None:
    acs_server.answer(Answer(status, {"error": {"code": "Denied", "message": "nope"}}))

    with pytest.raises(error) as caught:
        acs.send(NOTICE)

    assert fix in str(caught.value)
    assert caught.value.__cause__ is not None


def test_a_bad_request_names_the_sender_setting_and_quotes_the_service(
    acs: AcsEmailNotifier, acs_server: StubServer
) -> None:
    acs_server.answer(Answer(400, {"error": {"code": "InvalidSenderUserName", "message": "Invalid sender."}}))

    with pytest.raises(UpstreamRejected, match=r"check REACTOR_EMAIL_SENDER .*Invalid sender\."):
        acs.send(NOTICE)


def test_a_send_the_service_reports_failed_is_permanent(acs: AcsEmailNotifier, acs_server: StubServer) -> None:
    acs_server.responder = lambda seen: (
        Answer(200, {"id": "x", "status": "Failed", "error": {"code": "Bounced", "message": "recipient rejected"}})
        if seen.method == "GET"
        else None
    )
    acs_server.default = Answer(
        202,
        {"id": "x", "status": "Running"},
        headers={
            "Operation-Location": f"{acs_server.url}/emails/operations/x?api-version=2025-09-01",
            "retry-after": "0",
        },
    )

    with pytest.raises(UpstreamRejected, match="reported the send as failed"):
        acs.send(NOTICE)


def test_without_the_test_ca_the_tls_check_fails_so_verification_is_real(acs_server: StubServer) -> None:
    untrusting = AcsEmailNotifier(
        sender="s@contoso.example",
        to=("a@contoso.example",),
        connection_string=f"endpoint={acs_server.url}/;accesskey={shapes.ACS_KEY}",
        client_kwargs={"retry_total": 0},
    )

    with pytest.raises(TransientError, match="cannot reach Azure Communication Services"):
        untrusting.send(NOTICE)
    assert acs_server.seen == []


def test_a_wrong_access_key_fails_the_servers_signature_check(tls: LocalTls) -> None:
    server = StubServer(tls=tls.server_context())
    server.check = shapes.acs_send(server.url.removeprefix("https://"))
    wrong_key = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="
    with server.running():
        notifier = AcsEmailNotifier(
            sender="s@contoso.example",
            to=("a@contoso.example",),
            connection_string=f"endpoint={server.url}/;accesskey={wrong_key}",
            client_kwargs={"connection_verify": str(tls.ca_file), "retry_total": 0},
        )
        with pytest.raises(UpstreamRejected):
            notifier.send(replace(NOTICE, key="other"))

    assert server.problems == ["the HMAC signature does not verify"]


def test_a_send_still_running_after_the_wait_counts_as_accepted(acs_server: StubServer, tls: LocalTls) -> None:
    acs_server.responder = lambda seen: (
        Answer(200, {"id": "x", "status": "Running"}, headers={"retry-after": "1"}) if seen.method == "GET" else None
    )
    acs_server.default = Answer(
        202,
        {"id": "x", "status": "Running"},
        headers={
            "Operation-Location": f"{acs_server.url}/emails/operations/x?api-version=2025-09-01",
            "retry-after": "1",
        },
    )
    notifier = AcsEmailNotifier(
        sender="s@contoso.example",
        to=("a@contoso.example",),
        connection_string=f"endpoint={acs_server.url}/;accesskey={shapes.ACS_KEY}",
        client_kwargs={"connection_verify": str(tls.ca_file), "retry_total": 0},
        wait_seconds=0.3,
    )

    notifier.send(NOTICE)
    notifier.send(NOTICE)

    assert [s.method for s in acs_server.seen].count("POST") == 1


def test_an_unexpected_success_status_is_not_called_a_failed_send(
    acs: AcsEmailNotifier, acs_server: StubServer
) -> None:
    acs_server.answer(Answer(200, {"hello": "not ACS"}))

    with pytest.raises(UpstreamRejected, match="unexpected 200: check REACTOR_ACS_ENDPOINT"):
        acs.send(NOTICE)
