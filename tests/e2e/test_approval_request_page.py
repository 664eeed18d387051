"""The approval page's request section and the fresh-request route, over HTTP on the dev host."""

from __future__ import annotations

import requests

from tests.e2e.conftest import Host


def _staging(host: Host, registrant: str = "<b>ana</b>@contoso.example") -> None:
    event = host.workspace.register_model("credit-risk", {"registered_by": registrant})
    assert host.client.deliver([event]).status_code == 202
    host.finish_test(auc=0.9, latency_ms=100)
    host.report("credit-risk", "1", "staging")


def test_page_shows_the_request_its_count_evidence_and_expiry_escaped(host: Host) -> None:
    _staging(host)
    html = host.client.api("GET", "approvals/credit-risk/1").text
    assert "id='request'" in html and "<th>Approvals</th><td>0 of 1</td>" in html
    assert "<th>Expires</th><td>2" in html and "<th>Champion</th><td>none when asked (now none)</td>" in html
    assert "&lt;b&gt;ana&lt;/b&gt;@contoso.example" in html and "<b>ana</b>" not in html
    assert "id='renew'" not in html  # nothing changed: no fresh request is offered


def test_a_registrant_approving_is_refused_on_the_page(host: Host) -> None:
    _staging(host, registrant="ML-Lead@contoso.example")
    url = host.client.approval_page("credit-risk", "1")
    form = {"approver": "ml-lead@contoso.example", "decision": "approve"}
    posted = requests.post(url, data=form, allow_redirects=False, timeout=30)
    assert posted.status_code == 422 and "four eyes" in posted.text and "id='stage'>staging<" in posted.text


def test_the_request_route_answers_an_open_request_and_needs_a_staging_version(host: Host) -> None:
    _staging(host)
    open_one = host.client.api("POST", "approvals/credit-risk/1/request", {"approver": "bo@contoso.example"})
    assert open_one.status_code == 200 and open_one.json()["outcome"] == "ignored"
    assert "still open" in open_one.json()["notes"][0]
    unknown = host.client.api("POST", "approvals/credit-risk/7/request", {"approver": "bo@contoso.example"})
    assert unknown.status_code == 422
    anonymous = requests.post(host.client.approval_page("credit-risk", "1").replace("/1?", "/1/request?"), timeout=30)
    assert anonymous.status_code == 401
