"""`python -m shared preview`: write every card and email template rendered from an example notice."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from shared.adapters.notify.render.cards import adaptive_card, card_size
from shared.adapters.notify.render.emails import render_email
from shared.core.actions import Notify

STUDIO = (
    "https://ml.azure.com/runs/ort-credit-risk-7?wsid=/subscriptions/11111111-2222-3333-4444-555555555555"
    "/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-ws"
)
APPROVE = "http://localhost:7071/api/approvals/credit-risk/7"
_EXAMPLES: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "run_failed": (
        "Run failed in nightly-features",
        {
            "Experiment": "nightly-features",
            "Run": "calm_lime_x1z",
            "Status": "Failed",
            "Grouped since the last alert": "4",
        },
        {"Run in Azure ML studio": STUDIO},
    ),
    "test_failed": (
        "Offline test of credit-risk:7 canceled",
        {"Experiment": "mlops-reactor", "Run": "ort-credit-7", "Status": "Canceled", "Model": "credit-risk:7"},
        {"Run in Azure ML studio": STUDIO},
    ),
    "verdict": (
        "credit-risk:7 passed the offline test",
        {
            "Model": "credit-risk:7",
            "Verdict": "passed",
            "Checks": "PASS auc 0.912 >= 0.8\nPASS latency_ms 41 <= 250\n"
            "PASS auc beats champion 0.897 by 0.015 >= 0.005",
            "Owners": "data-science@contoso.example",
        },
        {"Run in Azure ML studio": STUDIO},
    ),
    "approval_requested": (
        "Approve credit-risk:7 for production?",
        {
            "Model": "credit-risk:7",
            "Approvers": "ml-lead@contoso.example",
            "Approvals needed": "1",
            "Evidence": "offline test test-credit-risk-5f0c2a91e3; champion 6",
            "Expires": "2026-11-29T09:00:00+00:00",
        },
        {"Review and approve": APPROVE},
    ),
    "approval_counted": (
        "credit-risk:7: approval 1 of 2 by ana@contoso.example",
        {"Model": "credit-risk:7", "Approved by": "ana@contoso.example", "Still needed": "1"},
        {},
    ),
    "approval_expired": (
        "Approval request for credit-risk:7 expired",
        {
            "Model": "credit-risk:7",
            "Asked at": "2026-11-22T09:00:00+00:00",
            "Expired at": "2026-11-29T09:00:00+00:00",
            "Approvals collected": "1 of 2 (ana@contoso.example)",
            "Registered by": "cy@contoso.example",
            "Next": "ask for a fresh request: python -m shared request-approval credit-risk:7",
        },
        {},
    ),
    "approved": (
        "credit-risk:7 approved by ml-lead@contoso.example",
        {
            "Model": "credit-risk:7",
            "Decision": "approved",
            "By": "ml-lead@contoso.example",
            "Comment": "metrics look good",
        },
        {},
    ),
    "promoted": (
        "credit-risk:7 is in production",
        {"Model": "credit-risk:7", "Environment": "production", "Approved by": "ml-lead@contoso.example"},
        {"CD run": "https://github.com/contoso/ml-deploy/actions"},
    ),
    "approval_rejected": (
        "credit-risk:7 rejected by ml-lead@contoso.example",
        {
            "Model": "credit-risk:7",
            "Decision": "rejected",
            "By": "ml-lead@contoso.example",
            "Comment": "latency regression on the EU cluster",
        },
        {},
    ),
    "out_of_band": (
        "Out-of-band deployment of credit-risk:6 to production",
        {
            "Model": "credit-risk:6",
            "Environment": "production",
            "Stage": "rejected",
            "Problem": "credit-risk:6 was deployed to production while rejected: production is only reachable from "
            "approved",
        },
        {},
    ),
    "drift": (
        "Drift detected: retraining credit-risk",
        {
            "Monitor": "credit-risk-monitor",
            "Run": "mon_2026_11_22",
            "Detail": "psi 0.31 > 0.2 on income",
            "Model": "credit-risk",
            "Retraining job": "retrain-credit-risk-5f2a",
        },
        {"Run in Azure ML studio": STUDIO},
    ),
    "monitor_failed": (
        "Monitor credit-risk-monitor failed: no drift verdict",
        {"Experiment": "credit-risk-monitor", "Run": "mon_2026_11_23", "Status": "Failed", "Model": "credit-risk"},
        {"Run in Azure ML studio": STUDIO},
    ),
    "retrain_failed": (
        "Retraining of credit-risk failed",
        {"Experiment": "retrain", "Run": "retrain-credit-risk-5f2a", "Status": "Failed", "Model": "credit-risk"},
        {"Run in Azure ML studio": STUDIO},
    ),
    "deploy_failed": (
        "Deployment of credit-risk:7 to staging failed",
        {"Model": "credit-risk:7", "Environment": "staging"},
        {"CD run": "https://dev.azure.com/contoso/ml/_build"},
    ),
    "job_lost": (
        "Job test-credit-risk-05f488bdfa is lost",
        {
            "Job": "test-credit-risk-05f488bdfa",
            "Purpose": "offline_test",
            "Model": "credit-risk:8",
            "Submitted": "2026-11-22T09:00:00+00:00",
            "Problem": "the workspace does not know this job: it was deleted, or never submitted",
        },
        {},
    ),
    "cd_overdue": (
        "CD of credit-risk:7 to staging was never reported",
        {
            "Model": "credit-risk:7",
            "Environment": "staging",
            "Asked": "2026-11-22T09:00:00+00:00",
            "Stage": "candidate",
            "Owners": "data-science@contoso.example",
            "CD request": "done",
            "Problem": "CD was asked to deploy to staging and never reported (POST /api/deployments)",
        },
        {"CD run": "https://github.com/contoso/ml-deploy/actions/runs/42"},
    ),
    "workspace_silent": (
        "No event from the workspace for a while",
        {
            "Last event received": "2026-11-22T09:00:00+00:00",
            "Window": "240 minutes",
            "Check": "the Event Grid subscription, its dead letters, and the function app's health",
        },
        {},
    ),
    "silence_expired": (
        "Silence on experiment nightly-etl ended; it held back 3 run_failed",
        {
            "Silence": "sil-1a2b3c4d5e6f",
            "Scope": "experiment nightly-etl",
            "Set by": "sre@contoso.example",
            "Why": "ETL maintenance",
            "Ended": "its time passed",
            "Held back": "3 run_failed",
            "Held back in all": "3",
        },
        {},
    ),
    "retrain_budget": (
        "Retrain budget of credit-risk used up: drift did not retrain it",
        {
            "Monitor": "credit-risk-monitor",
            "Model": "credit-risk",
            "Budget": "3 in 24 h",
            "Retrains counted": "3",
            "Retraining resumes": "2026-11-23T09:00:00+00:00, or when a person resets the budget",
            "Owners": "risk-team@contoso.example",
        },
        {},
    ),
    "retrain_budget_reset": (
        "Retrain budget of credit-risk reset by ml-lead@contoso.example",
        {"Model": "credit-risk", "Reset by": "ml-lead@contoso.example", "Why": "label pipeline fixed"},
        {},
    ),
}


def examples() -> list[Notify]:
    """One example notice per template, plus one unknown template (the generic card)."""
    notices = [
        Notify(key=f"preview:{t}", channel="preview", template=t, title=title, facts=facts, links=links)
        for t, (title, facts, links) in _EXAMPLES.items()
    ]
    return [
        *notices,
        Notify(
            key="preview:other",
            channel="preview",
            template="something_new",
            title="A notice with a template this version does not know",
            facts={"Model": "m:1"},
        ),
    ]


def write(out: Path) -> list[Path]:
    """Write card JSON, card HTML, email HTML and text for every example, and an index; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = []
    for notice in examples():
        card, email = adaptive_card(notice), render_email(notice)
        files = {
            "card.json": json.dumps(card, indent=2, ensure_ascii=False) + "\n",
            "card.html": card_html(card, notice.template),
            "email.html": email.html + "\n",
            "email.txt": f"Subject: {email.subject}\n\n{email.text}",
        }
        for suffix, text in files.items():
            path = out / f"{notice.template}.{suffix}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        links = " · ".join(f'<a href="{notice.template}.{s}">{s}</a>' for s in files)
        rows.append(f"<tr><td>{escape(notice.template)}</td><td>{card_size(card)} B</td><td>{links}</td></tr>")
    index = out / "index.html"
    index.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>MLOps Reactor notices</title></head>"
        "<body><h1>Notice previews</h1><table><tr><th>template</th><th>card size</th><th>files</th>"
        f"</tr>{''.join(rows)}</table></body></html>\n",
        encoding="utf-8",
    )
    return [*written, index]


def card_html(envelope: dict[str, Any], template: str) -> str:
    """A plain HTML rendering of an Adaptive Card envelope (TextBlock, Container, FactSet, Action.OpenUrl)."""
    card = envelope["attachments"][0]["content"]
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(template)} card</title></head>",
        "<body style='font-family:Segoe UI,sans-serif;background:#f0f0f0'>",
        "<div style='max-width:560px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px'>",
        *(_element(e) for e in card["body"]),
    ]
    actions = "".join(
        f"<a style='margin-right:8px' href='{escape(a['url'], quote=True)}'>{escape(a['title'])}</a>"
        for a in card.get("actions", [])
    )
    parts += [
        f"<p>{actions}</p>" if actions else "",
        "</div>",
        f"<p style='color:#666;font-size:12px'>Adaptive Card {escape(card['version'])}; Teams renders "
        "the JSON beside this file.</p></body></html>\n",
    ]
    return "\n".join(parts)


def _element(e: dict[str, Any]) -> str:
    if e["type"] == "Container":
        inner = "".join(_element(i) for i in e["items"])
        return f"<div style='background:#f5f5f5;padding:6px' data-style='{escape(e.get('style', ''))}'>{inner}</div>"
    if e["type"] == "FactSet":
        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:12px'>{escape(f['title'])}</th>"
            f"<td>{escape(f['value'])}</td></tr>"
            for f in e["facts"]
        )
        return f"<table>{rows}</table>"
    weight = "bold" if e.get("weight") == "Bolder" else "normal"
    size = {"Large": "20px", "Small": "12px"}.get(e.get("size", ""), "14px")
    return f"<div style='font-weight:{weight};font-size:{size};margin:2px 0'>{escape(e['text'])}</div>"
