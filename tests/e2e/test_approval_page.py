"""The approval page over HTTP: what it shows, that it escapes, and that a form post lands on the new stage."""

from __future__ import annotations

import requests

from tests.e2e.conftest import Host


def _staging(host: Host, **metrics: float) -> None:
    host.register()
    host.finish_test(**(metrics or {"auc": 0.9, "latency_ms": 100}))
    host.report("credit-risk", "1", "staging")


def test_page_shows_stage_metrics_against_thresholds_and_a_studio_link(host: Host) -> None:
    _staging(host)
    page = host.client.api("GET", "approvals/credit-risk/1")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "id='stage'>staging<" in html
    assert "PASS auc = 0.9" in html and "PASS latency_ms = 100 (needs &lt;= 250)" in html
    assert "https://ml.azure.com/runs/test-credit-risk-" in html
    assert "name='viewport'" in html
    assert "value='approve'" in html and "value='reject'" in html and "name='comment'" in html


def test_page_escapes_what_comes_from_events(host: Host) -> None:
    _staging(host, auc=0.9, latency_ms=100, **{"<script>alert(1)</script>": 1.0})
    html = host.client.api("GET", "approvals/credit-risk/1").text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_form_post_redirects_to_the_page_showing_the_new_stage(host: Host) -> None:
    _staging(host)
    url = host.client.approval_page("credit-risk", "1")
    form = {"approver": "ml-lead@contoso.example", "comment": "looks good", "decision": "approve"}
    posted = requests.post(url, data=form, allow_redirects=False, timeout=30)
    assert posted.status_code == 303
    assert posted.headers["Location"] == url
    shown = requests.get(posted.headers["Location"], timeout=30)
    assert "id='stage'>approved<" in shown.text
    assert "approved by ml-lead@contoso.example" in shown.text


def test_form_post_that_is_refused_shows_the_page_with_the_reason(host: Host) -> None:
    host.register()
    url = host.client.approval_page("credit-risk", "1")
    posted = requests.post(url, data={"approver": "someone", "decision": "approve"}, allow_redirects=False, timeout=30)
    assert posted.status_code >= 400
    assert posted.headers["content-type"].startswith("text/html")
    assert "Not recorded" in posted.text and "id='stage'>testing<" in posted.text


def test_unknown_version_is_404(host: Host) -> None:
    assert host.client.api("GET", "approvals/credit-risk/99").status_code == 404


def test_the_page_never_hands_its_keyed_url_to_another_site(host: Host) -> None:
    page = host.client.api("GET", "approvals/credit-risk/99")
    assert page.headers.get("Referrer-Policy") == "no-referrer"
