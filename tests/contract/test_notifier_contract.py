"""The Notifier contract: the same cases against the embedded outbox, Teams, SMTP (aiosmtpd) and ACS email."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from shared.adapters.notify.outbox import OutboxNotifier
from shared.adapters.notify.smtp import SmtpNotifier
from shared.core.actions import Notify
from shared.core.ports import Notifier

NOTICE = Notify(
    key="evt-1:notify:verdict:ds",
    channel="ds",
    template="verdict",
    title="credit-risk:7 passed the offline test",
    facts={"Model": "credit-risk:7", "Verdict": "passed", "Checks": "PASS auc 0.91 >= 0.8"},
    links={"Run in Azure ML studio": "https://ml.azure.com/runs/r1"},
)


@dataclass
class Harness:
    """A notifier and the titles of what landed at the other end, in order."""

    notifier: Notifier
    landed: Callable[[], list[str]]


@pytest.fixture(params=["outbox", "teams", "smtp", "acs_email"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "outbox":
        outbox = OutboxNotifier(tmp_path / "outbox", console=None)
        return Harness(outbox, lambda: [n.title for n in outbox.sent()])
    if request.param == "teams":
        server = request.getfixturevalue("teams_server")
        return Harness(
            request.getfixturevalue("teams"),
            lambda: [s.json()["attachments"][0]["content"]["body"][0]["items"][1]["text"] for s in server.seen],
        )
    if request.param == "smtp":
        sink = request.getfixturevalue("smtp_server")
        smtp = SmtpNotifier(
            host=sink.host, port=sink.port, sender="reactor@contoso.example", to=("ds@contoso.example",), starttls=False
        )
        return Harness(smtp, lambda: [r.message["Subject"].split(": ", 1)[1] for r in sink.received])
    server = request.getfixturevalue("acs_server")
    return Harness(
        request.getfixturevalue("acs"),
        lambda: [s.json()["content"]["subject"].split(": ", 1)[1] for s in server.seen if s.method == "POST"],
    )


def test_a_notice_lands_with_its_title(harness: Harness) -> None:
    harness.notifier.send(NOTICE)

    assert harness.landed() == [NOTICE.title]


def test_a_notice_lands_once_per_key(harness: Harness) -> None:
    harness.notifier.send(NOTICE)
    harness.notifier.send(NOTICE)

    assert harness.landed() == [NOTICE.title]


def test_notices_with_different_keys_all_land_in_order(harness: Harness) -> None:
    harness.notifier.send(NOTICE)
    harness.notifier.send(replace(NOTICE, key="evt-2:notify:verdict:ds", title="credit-risk:8 was rejected"))

    assert harness.landed() == [NOTICE.title, "credit-risk:8 was rejected"]
