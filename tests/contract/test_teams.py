"""Teams Workflows webhook against a local server: the envelope, refusals, throttling, and the URL kept secret."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from shared.adapters.http_errors import Retry
from shared.adapters.notify.teams import TeamsNotifier
from shared.core.actions import Notify
from shared.core.errors import TransientError, UpstreamRejected
from tests.contract.conftest import TEAMS_PATH, TEAMS_QUERY, TEAMS_SIG
from tests.contract.stub_server import Answer, StubServer

NOTICE = Notify(
    key="evt-1:notify:run_failed:oncall",
    channel="oncall",
    template="run_failed",
    title="Run failed in nightly",
    facts={"Experiment": "nightly", "Run": "r1", "Status": "Failed"},
    links={"Run in Azure ML studio": "https://ml.azure.com/runs/r1"},
)


def test_the_card_is_posted_to_the_workflow_url_in_the_message_envelope(
    teams: TeamsNotifier, teams_server: StubServer
) -> None:
    teams.send(NOTICE)

    (seen,) = teams_server.seen
    assert seen.target == TEAMS_PATH + TEAMS_QUERY
    card = seen.json()["attachments"][0]["content"]
    assert card["body"][0]["items"][1]["text"] == "Run failed in nightly"
    assert card["actions"][0]["url"] == "https://ml.azure.com/runs/r1"


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (400, "'When a Teams webhook request is received'"),
        (401, "put its new URL in the app setting REACTOR_TEAMS_WEBHOOK_ONCALL"),
        (403, "flow is disabled"),
        (404, "the Workflow no longer exists"),
        (413, "too large"),
        (422, "could not read the card envelope"),
    ],
)
def test_a_refusal_is_permanent_names_the_setting_and_never_the_url(
    teams: TeamsNotifier, teams_server: StubServer, status: int, fix: str
) -> None:
    teams_server.answer(
        Answer(
            status, {"error": {"code": "x", "message": f"bad request to {teams_server.url}{TEAMS_PATH}{TEAMS_QUERY}"}}
        )
    )

    with pytest.raises(UpstreamRejected) as caught:
        teams.send(NOTICE)

    assert fix in str(caught.value)
    assert "the webhook in REACTOR_TEAMS_WEBHOOK_ONCALL" in str(caught.value)
    assert TEAMS_SIG not in str(caught.value)


def test_throttling_is_retried_then_left_to_the_platform(
    teams: TeamsNotifier, teams_server: StubServer, sleeps: list[float]
) -> None:
    teams_server.answer(*[Answer(429, headers={"Retry-After": "1"})] * 3)

    with pytest.raises(TransientError) as caught:
        teams.send(NOTICE)

    assert caught.value.retry_after == 1.0
    assert len(teams_server.seen) == 3 and sleeps == [1.0, 1.0]


def test_a_server_error_is_transient_and_the_notice_can_be_sent_again(
    teams: TeamsNotifier, teams_server: StubServer
) -> None:
    teams_server.answer(Answer(500))
    with pytest.raises(TransientError):
        teams.send(NOTICE)

    teams.send(NOTICE)

    assert len(teams_server.seen) == 2


def test_an_unreachable_workflow_is_transient_and_its_signature_stays_out_of_trace_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notifier = TeamsNotifier(
        webhook_url=f"http://127.0.0.1:{port}{TEAMS_PATH}{TEAMS_QUERY}",
        setting="HOOK",
        timeout=1.0,
        retry=Retry(sleep=lambda _: None),
    )

    with caplog.at_level(logging.DEBUG), pytest.raises(TransientError, match="cannot reach the Teams") as caught:
        notifier.send(NOTICE)

    trace = "".join(traceback.format_exception(caught.value))
    assert "ConnectionError" in trace  # the cause is kept ...
    assert TEAMS_SIG not in trace  # ... without the secret part of the URL
    assert TEAMS_SIG not in caplog.text


def test_the_signature_stays_out_of_debug_logs_of_a_successful_post(
    teams: TeamsNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        teams.send(NOTICE)

    assert "POST /workflows/abc123" in caplog.text  # urllib3 did log the request line ...
    assert TEAMS_SIG not in caplog.text  # ... without the signature


def test_a_retired_office_365_connector_url_is_refused_without_calling_it() -> None:
    notifier = TeamsNotifier(webhook_url="https://contoso.webhook.office.com/webhookb2/abc", setting="HOOK")

    with pytest.raises(UpstreamRejected, match="create a Teams Workflow"):
        notifier.send(NOTICE)
