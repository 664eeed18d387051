"""Render a Notify as content shared by every channel, and as a Teams Adaptive Card (≤ 1.5, under 28 KB)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from shared.core.actions import Notify

CARD_VERSION = "1.5"
CARD_BUDGET = 24_000  # bytes of the whole envelope: Teams refuses ~28 KB, some tenants less
GROUPED = "Grouped since the last alert"

# template -> (heading, style, one sentence saying what happened)
TEMPLATES: dict[str, tuple[str, str, str]] = {
    "run_failed": ("Run failed", "attention", "An Azure ML run failed, was canceled or stopped responding."),
    "test_failed": ("Offline test failed", "attention", "The offline test job did not finish: no verdict."),
    "verdict": (
        "Offline test verdict",
        "accent",
        "The gate compared the test metrics with the thresholds and the champion.",
    ),
    "approval_requested": (
        "Approval requested",
        "accent",
        "A version is in staging and waits for a human decision before production.",
    ),
    "approval_counted": (
        "Approval recorded",
        "accent",
        "A reviewer approved; more approvals are needed before production.",
    ),
    "approval_expired": (
        "Approval request expired",
        "warning",
        "Nobody decided in time; a decision now needs a fresh request.",
    ),
    "approved": (
        "Approved for production",
        "good",
        "A reviewer approved this version; production CD was asked to deploy it.",
    ),
    "promoted": ("In production", "good", "CD reported this version deployed to production."),
    "approval_rejected": (
        "Rejected by a reviewer",
        "warning",
        "A reviewer rejected this version; it will not go to production.",
    ),
    "out_of_band": ("Out-of-band deployment", "attention", "A deployment happened that the gates did not allow."),
    "drift": ("Drift detected", "warning", "A model monitor reported drift."),
    "monitor_failed": ("Monitor failed", "attention", "A model monitor run failed without a drift verdict."),
    "retrain_failed": ("Retraining failed", "attention", "The retraining job did not finish."),
    "deploy_failed": ("Deployment failed", "attention", "CD reported a failed deployment."),
    "job_lost": ("Job lost", "attention", "Reconcile asked the workspace about a job in flight: it does not know it."),
    "cd_overdue": ("CD never reported", "warning", "A CD request got no deployment report within the policy's time."),
    "workspace_silent": ("Workspace silent", "warning", "No event came from the workspace for the policy's window."),
    "silence_expired": ("Silence ended", "accent", "A silence ended; this is what it held back while it lasted."),
    "retrain_budget": (
        "Retrain budget used up",
        "warning",
        "Drift came again, but the model's retrain budget is used up: it was not retrained.",
    ),
    "retrain_budget_reset": ("Retrain budget reset", "accent", "A person reset the model's retrain budget."),
}
GENERIC = ("Notice", "default", "")
LIMITS = ((500, 20, 20), (200, 10, 12), (80, 5, 8), (40, 3, 4))  # (chars per value, list items, facts)
_MARKDOWN = str.maketrans({"[": "［", "]": "］", "*": "∗"})


@dataclass(frozen=True, kw_only=True)
class Content:
    """What a notice says, channel-neutral and already truncated; strings are raw (escape per medium)."""

    heading: str
    style: str
    title: str
    intro: str
    facts: tuple[tuple[str, str], ...]
    lists: tuple[tuple[str, tuple[str, ...]], ...]
    links: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


def content(notice: Notify, limits: tuple[int, int, int] = LIMITS[0]) -> Content:
    """The notice's content under the given limits, saying what was cut."""
    chars, items, max_facts = limits
    heading, style, intro = TEMPLATES.get(notice.template, GENERIC)
    if notice.template == "verdict":
        style = "good" if notice.facts.get("Verdict") == "passed" else "warning"
    cut = {"values": 0, "items": 0, "facts": 0}
    facts, lists = [], []
    for name, value in list(notice.facts.items())[:max_facts]:
        lines = [line for line in str(value).splitlines() if line.strip()]
        if len(lines) > 1:
            cut["items"] += max(0, len(lines) - items)
            lists.append((_clip(name, 80, cut), tuple(_clip(line, chars, cut) for line in lines[:items])))
        else:
            facts.append((_clip(name, 80, cut), _clip(str(value), chars, cut)))
    cut["facts"] = max(0, len(notice.facts) - max_facts)
    links = [(_clip(name, 60, cut), url) for name, url in notice.links.items() if _web_url(url)]
    notes = _notes(notice, cut, len(notice.links) - len(links))
    return Content(
        heading=heading,
        style=style,
        title=_clip(notice.title, 200, cut),
        intro=intro,
        facts=tuple(facts),
        lists=tuple(lists),
        links=tuple(links[:5]),
        notes=tuple(notes),
    )


def _notes(notice: Notify, cut: dict[str, int], links_left_out: int) -> list[str]:
    """What the reader should know about what is not shown: alerts held back, and what was cut to fit."""
    notes = []
    if notice.facts.get(GROUPED):
        notes.append(
            f"{notice.facts[GROUPED]} more alert(s) of this group were held back since the last alert "
            "(one alert per group window)."
        )
    if any(cut.values()) or links_left_out:
        notes.append(
            "Shortened to fit the channel: "
            + ", ".join(
                f"{n} {what}"
                for what, n in (
                    ("long values cut", cut["values"]),
                    ("list items left out", cut["items"]),
                    ("facts left out", cut["facts"]),
                    ("non-web links left out", links_left_out),
                )
                if n
            )
            + ". The ledger has the full event."
        )
    return notes


def _clip(text: str, limit: int, cut: dict[str, int]) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut["values"] += 1
    return text[: limit - 1] + "…"


def _web_url(url: str) -> bool:
    return bool(re.match(r"https?://[^\s]+$", url, re.IGNORECASE)) and len(url) <= 2048


def neutralise(text: str) -> str:
    """Make an event string inert in TextBlock markdown: no links, emphasis, lists, autolinks or HTML."""
    text = " ".join(text.split()).translate(_MARKDOWN)
    text = re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", "＿", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", "‹", text).replace("://", ":/\u200b/")
    text = re.sub(r"(?i)\bwww\.", lambda m: m.group(0)[:3] + "\u200b.", text)
    return "\u200b" + text if re.match(r"([-+>#]|\d+[.)])(\s|$)", text) else text


def adaptive_card(notice: Notify) -> dict[str, Any]:
    """The Workflows webhook envelope holding the notice's Adaptive Card, under CARD_BUDGET bytes."""
    for limits in LIMITS:
        envelope = _envelope(_card(content(notice, limits)))
        if card_size(envelope) <= CARD_BUDGET:
            return envelope
    return envelope


def card_size(envelope: dict[str, Any]) -> int:
    """Bytes on the wire (compact JSON, UTF-8)."""
    return len(json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _envelope(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": neutralise(text), "wrap": True, **style}


def _card(c: Content) -> dict[str, Any]:
    color = {"default": "Default"}.get(c.style, c.style.capitalize())
    body: list[dict[str, Any]] = [
        {
            "type": "Container",
            "style": "emphasis" if c.style == "default" else c.style,
            "bleed": True,
            "items": [
                _text(c.heading, weight="Bolder", size="Small", color=color),
                _text(c.title, weight="Bolder", size="Large", spacing="None"),
            ],
        },
    ]
    if c.intro:
        body.append(_text(c.intro, isSubtle=True))
    if c.facts:
        body.append(
            {"type": "FactSet", "facts": [{"title": neutralise(n), "value": neutralise(v)} for n, v in c.facts]}
        )
    for name, lines in c.lists:
        body.append(_text(name, weight="Bolder", spacing="Medium"))
        body += [_text(f"• {line}", spacing="None", fontType="Monospace", size="Small") for line in lines]
    body += [_text(note, isSubtle=True, size="Small", spacing="Medium") for note in c.notes]
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": neutralise(n), "url": u} for n, u in c.links],
    }
