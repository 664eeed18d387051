"""The approval page: a small HTML form, readable on a phone, that works without JavaScript."""

from __future__ import annotations

from html import escape

from shared.reactor import Reactor

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}"
          "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}"
          "textarea{width:100%}button{font-size:1.1rem;padding:.5rem 1rem;margin:.5rem .5rem 0 0}")


def render(reactor: Reactor, model: str, version: str) -> tuple[int, str]:
    """(status, html) for GET /api/approvals/{model}/{version}; everything from events is escaped."""
    record = reactor.store.get_record(model, version)
    title = f"{escape(model)}:{escape(version)}"
    if record is None:
        return 404, _page(title, f"<p>No model version {title} is known to MLOps Reactor.</p>")
    rule = reactor.policy.rule_for(model, record.tags)
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{v:g}</td></tr>" for k, v in sorted(record.metrics.items()))
    limits = "".join(
        f"<li>{escape(t.metric)}: {'' if t.min is None else f'&ge; {t.min:g} '}"
        f"{'' if t.max is None else f'&le; {t.max:g}'}</li>" for t in rule.gate.thresholds)
    history = "".join(f"<li>{escape(str(h.get('at', '')))}: {escape(str(h.get('from')))} &rarr; "
                      f"{escape(str(h.get('to')))} ({escape(str(h.get('reason', '')))}"
                      f"{', by ' + escape(str(h['by'])) if h.get('by') else ''})</li>" for h in record.history)
    form = ""
    if record.stage == "staging":
        form = ('<form method="post"><label>Your name <input name="approver" autocomplete="name"></label>'
                '<label>Comment<textarea name="comment" rows="3"></textarea></label>'
                '<button name="decision" value="approve">Approve</button>'
                '<button name="decision" value="reject">Reject</button></form>')
    body = (f"<p>Stage: <strong id='stage'>{escape(str(record.stage))}</strong>"
            f"{' &mdash; approved by ' + escape(record.approved_by) if record.approved_by else ''}</p>"
            f"<h2>Gate metrics</h2><table><tr><th>metric</th><th>value</th></tr>{rows}</table>"
            f"<h2>Thresholds</h2><ul>{limits}</ul><h2>History</h2><ul>{history}</ul>{form}")
    return 200, _page(title, body)


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>Approve {title}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{title}</h1>{body}</body></html>")
