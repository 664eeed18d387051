"""Cards and emails rendered from notices: envelope, version, size, escaping, one template each."""

from __future__ import annotations

import json

import pytest

from shared.adapters.notify.render.cards import CARD_BUDGET, TEMPLATES, adaptive_card, card_size, neutralise
from shared.adapters.notify.render.emails import render_email
from shared.core.actions import Notify
from shared.tools.preview import examples

HOSTILE = "[click me](https://evil.example/login) **urgent** _x_ <img src=x onerror=alert(1)> www.evil.example"


def _notice(**fields: object) -> Notify:
    base: dict[str, object] = {
        "key": "evt-1:notify:run_failed:oncall",
        "channel": "oncall",
        "template": "run_failed",
        "title": "Run failed in exp",
        "facts": {"Run": "r1"},
        "links": {"Run in Azure ML studio": "https://ml.azure.com/runs/r1"},
    }
    return Notify(**{**base, **fields})  # type: ignore[arg-type]


def _texts(envelope: dict[str, object]) -> str:
    return json.dumps(envelope, ensure_ascii=False)


@pytest.mark.parametrize("notice", examples(), ids=lambda n: n.template)
def test_every_template_renders_a_1_5_card_in_the_workflows_envelope(notice: Notify) -> None:
    envelope = adaptive_card(notice)

    (attachment,) = envelope["attachments"]
    assert envelope["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    assert attachment["content"]["version"] == "1.5"
    assert notice.title in _texts(envelope)
    heading = TEMPLATES.get(notice.template, ("Notice",))[0]
    assert attachment["content"]["body"][0]["items"][0]["text"] == heading


def test_examples_cover_every_known_template() -> None:
    assert set(TEMPLATES) <= {n.template for n in examples()}


def test_facts_go_in_a_factset_and_links_in_open_url_actions() -> None:
    card = adaptive_card(_notice())["attachments"][0]["content"]

    factsets = [b for b in card["body"] if b["type"] == "FactSet"]
    assert factsets[0]["facts"] == [{"title": "Run", "value": "r1"}]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Run in Azure ML studio", "url": "https://ml.azure.com/runs/r1"}
    ]


def test_a_grouped_alert_says_how_many_were_held_back() -> None:
    card = _texts(adaptive_card(_notice(facts={"Run": "r1", "Grouped since the last alert": "12"})))

    assert "Grouped since the last alert" in card
    assert "12 more alert(s) of this group were held back" in card


def test_a_huge_notice_stays_under_the_teams_limit_and_says_it_was_shortened() -> None:
    facts = {f"Fact {i}": "x" * 5000 for i in range(40)} | {"Checks": "\n".join(f"FAIL m{i}" for i in range(500))}
    envelope = adaptive_card(_notice(facts=facts))

    assert card_size(envelope) <= CARD_BUDGET < 28 * 1024
    assert "Shortened to fit the channel" in _texts(envelope)


def test_event_strings_cannot_inject_markdown_links_emphasis_or_html_into_a_card() -> None:
    envelope = adaptive_card(_notice(title=HOSTILE, facts={"Experiment": HOSTILE, HOSTILE: "v"}))
    text = _texts(envelope)

    for marker in ("](", "[click", "**", "_x_", "<img", "://evil", "www.evil"):
        assert marker not in text, marker
    assert "click me" in text and "urgent" in text


def test_neutralise_keeps_ordinary_names_readable() -> None:
    assert neutralise("credit_risk-model v7 auc >= 0.8") == "credit_risk-model v7 auc >= 0.8"
    assert neutralise("- not a list").startswith("\u200b- ")


def test_only_web_links_become_actions() -> None:
    card = adaptive_card(_notice(links={"bad": "javascript:alert(1)", "ok": "https://ok.example/x"}))
    content = card["attachments"][0]["content"]

    assert [a["url"] for a in content["actions"]] == ["https://ok.example/x"]
    assert "non-web links left out" in _texts(card)


def test_an_email_has_the_same_content_in_html_and_text_with_event_strings_escaped() -> None:
    email = render_email(
        _notice(
            title="Run failed in <b>exp</b>",
            facts={"Run": "<script>alert(1)</script>", "Checks": "PASS a >= 1\nFAIL b & c"},
        )
    )

    assert email.subject == "[MLOps Reactor] Run failed: Run failed in <b>exp</b>"
    assert "<script>" not in email.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "Run failed in &lt;b&gt;exp&lt;/b&gt;" in email.html
    assert "<li" in email.html and "FAIL b &amp; c" in email.html
    assert 'href="https://ml.azure.com/runs/r1"' in email.html
    assert "Run: <script>alert(1)</script>" in email.text
    assert "  - FAIL b & c" in email.text
    assert "Run in Azure ML studio: https://ml.azure.com/runs/r1" in email.text


def test_a_subject_never_spans_lines() -> None:
    email = render_email(_notice(title="line one\r\nBcc: victim@example.com"))

    assert "\n" not in email.subject and "\r" not in email.subject
