"""Render a Notify as an email: subject, HTML and plain text with the same content as the Teams card."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from shared.adapters.notify.render.cards import Content, content
from shared.core.actions import Notify
from shared.core.errors import UpstreamRejected

COLOURS = {"attention": "#c4314b", "warning": "#c19c00", "good": "#237b4b", "accent": "#4f52b2", "default": "#616161"}
PREFIX = "[MLOps Reactor]"


@dataclass(frozen=True, kw_only=True)
class Email:
    """A rendered email."""

    subject: str
    html: str
    text: str


def require_recipients(notice: Notify, to: tuple[str, ...] | list[str]) -> None:
    """An email channel with nobody to write to is a policy mistake, not something to retry."""
    if not to:
        raise UpstreamRejected(f"channel {notice.channel!r} has no recipients: set `to:` in the policy")


def render_email(notice: Notify) -> Email:
    """Subject, HTML (every event string escaped) and plain text of one notice."""
    c = content(notice)
    subject = " ".join(f"{PREFIX} {c.heading}: {c.title}".split())[:240]
    return Email(subject=subject, html=_html(c), text=_text(c))


def _text(c: Content) -> str:
    lines = [c.heading.upper(), c.title, ""]
    if c.intro:
        lines += [c.intro, ""]
    lines += [f"{name}: {value}" for name, value in c.facts]
    for name, items in c.lists:
        lines += ["", f"{name}:"] + [f"  - {item}" for item in items]
    if c.links:
        lines += [""] + [f"{name}: {url}" for name, url in c.links]
    if c.notes:
        lines += ["", *c.notes]
    return "\n".join(lines) + "\n"


def _html(c: Content) -> str:
    e = escape
    colour = COLOURS.get(c.style, COLOURS["default"])
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8"><title>',
        e(c.title),
        "</title></head>",
        '<body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#242424;max-width:680px">',
        f'<div style="border-left:6px solid {colour};padding:8px 16px;background:#f5f5f5">',
        f'<div style="color:{colour};font-weight:600;font-size:13px">{e(c.heading)}</div>',
        f'<h2 style="margin:4px 0 0 0;font-size:20px">{e(c.title)}</h2></div>',
    ]
    if c.intro:
        parts.append(f'<p style="color:#616161">{e(c.intro)}</p>')
    if c.facts:
        parts.append('<table style="border-collapse:collapse">')
        parts += [
            f'<tr><th style="text-align:left;padding:2px 16px 2px 0;vertical-align:top">{e(name)}</th>'
            f'<td style="padding:2px 0">{e(value)}</td></tr>'
            for name, value in c.facts
        ]
        parts.append("</table>")
    for name, items in c.lists:
        parts.append(f"<p><strong>{e(name)}</strong></p><ul>")
        parts += [f'<li style="font-family:Consolas,monospace;font-size:13px">{e(item)}</li>' for item in items]
        parts.append("</ul>")
    if c.links:
        parts.append(
            "<p>"
            + " &nbsp; ".join(
                f'<a href="{e(url, quote=True)}" style="display:inline-block;padding:6px 12px;background:{colour};'
                f'color:#ffffff;text-decoration:none;border-radius:4px">{e(name)}</a>'
                for name, url in c.links
            )
            + "</p>"
        )
    parts += [f'<p style="color:#616161;font-size:12px">{e(note)}</p>' for note in c.notes]
    parts.append("</body></html>")
    return "\n".join(parts)
