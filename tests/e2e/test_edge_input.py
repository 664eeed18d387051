"""Approvals, odd strings and keys at the edge, over real HTTP against the dev host."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests

from shared.tools import synthetic
from tests.e2e.conftest import Host

APPROVER = "ml-lead@contoso.example"


def staged(host: Host) -> None:
    host.register()
    host.finish_test(auc=0.9, latency_ms=100)
    host.report("credit-risk", "1", "staging")


def approve(host: Host, body: Any, version: str = "1", content_type: str = "application/json") -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        f"{host.url}/api/approvals/credit-risk/{version}",
        data=data,
        timeout=30,
        headers={"x-functions-key": host.keys.function, "content-type": content_type},
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"approve please", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ([], "an approval is an object"),
        ("approve", "an approval is an object"),
        ({"decision": "approve", "approver": APPROVER, "stage": "production"}, "unexpected field(s) 'stage'"),
        ({"decision": ["approve"], "approver": APPROVER}, "field 'decision' must be a string"),
        ({"decision": "approve", "approver": {"name": APPROVER}}, "field 'approver' must be a string"),
        ({"decision": "yes", "approver": APPROVER}, "field 'decision' must be one of approve, reject (got 'yes')"),
        ({"approver": APPROVER}, "field 'decision' must be one of approve, reject (missing)"),
    ],
)
def test_an_approval_body_that_is_not_an_approval_is_400_naming_the_problem(host: Host, body: Any, named: str) -> None:
    staged(host)
    answer = approve(host, body)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/json")
    assert named in answer.json()["error"]
    assert host.record("credit-risk", "1")["stage"] == "staging"


def test_a_form_that_names_a_field_twice_is_refused(host: Host) -> None:
    staged(host)
    form = b"decision=reject&decision=approve&approver=ml-lead%40contoso.example"
    answer = approve(host, form, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400
    assert "given more than once" in answer.text
    assert host.record("credit-risk", "1")["stage"] == "staging"


def test_decisions_and_versions_are_normalized_so_every_spelling_is_one_decision(host: Host) -> None:
    staged(host)
    first = approve(host, {"decision": "  APPROVE ", "approver": APPROVER}, version="1%20")
    assert first.status_code == 200 and first.json()["outcome"] == "handled", first.text
    again = approve(host, {"decision": "approve", "approver": APPROVER})
    assert again.json()["outcome"] == "duplicate"
    assert host.record("credit-risk", "1")["stage"] == "approved"


def test_a_version_reported_as_an_integer_or_with_spaces_is_the_same_version(host: Host) -> None:
    host.register()
    host.finish_test(auc=0.9, latency_ms=100)
    report = {"model": "credit-risk", "environment": "staging", "status": "succeeded"}
    assert host.client.api("POST", "deployments", {**report, "version": 1}).json()["outcome"] == "handled"
    assert host.client.api("POST", "deployments", {**report, "version": " 1 "}).json()["outcome"] == "duplicate"


def test_lone_surrogates_and_nul_are_stored_as_replacement_characters_and_shown_escaped(host: Host) -> None:
    event = synthetic.build("model_registered", host.settings.workspace_id)
    event["id"] = "odd-\ud800-\x00"
    event["data"]["modelTags"] = {"owner": "<b>x\ud800y\x00z</b>"}
    answer = host.client.deliver([event])  # json.dumps escapes the surrogate: \ud800 on the wire
    assert answer.status_code == 202
    assert host.record("credit-risk", "1")["tags"] == {"owner": "<b>x\ufffdy\ufffdz</b>"}
    assert host.client.api("GET", "ledger/events/odd-\ufffd-\ufffd").status_code == 200


def test_an_alert_about_a_run_with_odd_strings_reaches_the_outbox(host: Host) -> None:
    event = synthetic.build("run_status_changed", host.settings.workspace_id, status="Failed")
    event["data"]["experimentName"] = "nightly\ud800\x00"
    answer = requests.post(
        f"{host.url}/api/replay",
        data=json.dumps({"events": [event], "dry_run": False}),
        headers={"x-functions-key": host.keys.function},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    [outcome] = answer.json()["events"]
    assert outcome["outcome"] == "handled" and outcome["actions"][0]["status"] == "done", outcome
    written = "".join(p.read_text(encoding="utf-8") for p in (host.state / "outbox").glob("*.txt"))
    assert "nightly\ufffd\ufffd" in written


def test_the_request_log_never_shows_a_key(host: Host, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    requests.get(f"{host.url}/api/ledger/dead-letters", params={"code": host.keys.function}, timeout=30)
    requests.get(f"{host.url}/api/nowhere?CODE={host.keys.master}&x=1", timeout=30)
    assert "code=***" in caplog.text and "CODE=***&x=1" in caplog.text
    for key in (host.keys.function, host.keys.master):
        assert key not in caplog.text
