"""/api/silences and /api/retrain-budgets over real HTTP through the dev host: keyed, set, list, expire, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from shared.tools import synthetic
from tests.e2e.conftest import Host


@pytest.fixture(autouse=True)
def no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert "Traceback" not in caplog.text


def set_silence(host: Host, **fields: Any) -> requests.Response:
    body = {"scope": "experiment", "match": "nightly-*", "hours": 2, "by": "sre@contoso", "why": "maintenance"}
    return host.client.api("POST", "silences", {**body, **fields})


def test_routes_need_the_function_key(host: Host) -> None:
    for method, path in (("GET", "silences"), ("POST", "silences"), ("POST", "retrain-budgets/credit-risk/reset")):
        answer = requests.request(method, f"{host.url}/api/{path}", json={}, timeout=30)
        assert answer.status_code == 401, path


def test_set_list_hold_and_expire_over_http(host: Host) -> None:
    answer = set_silence(host)
    assert answer.status_code == 200, answer.text
    sid = answer.json()["silence"]
    assert set_silence(host).json()["outcome"] == "duplicate"  # the same request again: one silence
    failed = synthetic.build("run_status_changed", host.settings.workspace_id, status="Failed", experiment="nightly-1")
    assert host.client.deliver([failed]).status_code == 202
    [listed] = host.client.api("GET", "silences").json()["silences"]
    assert listed["id"] == sid and listed["held"] == {"run_failed": 1}
    ended = host.client.api("POST", f"silences/{sid}/expire", {"by": "sre@contoso", "why": "done"})
    assert ended.status_code == 200 and ended.json()["outcome"] == "handled"
    notice = next(a for a in ended.json()["actions"] if a["kind"] == "notify")
    assert notice["template"] == "silence_expired" and notice["status"] == "done"
    assert host.client.api("GET", "silences").json()["silences"] == []
    [old] = host.client.api("GET", "silences?ended=true").json()["silences"]
    assert old["ended_by"] == "sre@contoso"
    again = requests.delete(
        f"{host.url}/api/silences/{sid}", headers={"x-functions-key": host.keys.function}, json={"by": "x"}, timeout=30
    )
    assert again.status_code == 200 and again.json()["outcome"] in ("duplicate", "ignored")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"scope": "team"}, "'scope'"),
        ({"match": ""}, "'match'"),
        ({"hours": -1}, "'hours'"),
        ({"hours": 24 * 31}, "'hours'"),
        ({"hours": None, "until": "tomorrow"}, "'until'"),
        ({"until": "2026-11-22T18:00:00Z"}, "'until'"),  # both given
        ({"why": 5}, "'why'"),
        ({"notify": "nowhere"}, "'notify'"),
        ({"colour": "red"}, "'colour'"),
    ],
)
def test_a_bad_silence_is_a_400_naming_the_field(host: Host, fields: dict[str, Any], named: str) -> None:
    body = {"scope": "experiment", "match": "nightly-*", "hours": 2, "by": "sre@contoso", "why": "maintenance"}
    body.update(fields)
    body = {k: v for k, v in body.items() if v is not None}
    answer = host.client.api("POST", "silences", body)
    assert answer.status_code == 400 and named in answer.json()["error"], answer.text


def test_bad_bodies_and_unknown_ids(host: Host) -> None:
    raw = requests.post(
        f"{host.url}/api/silences", headers={"x-functions-key": host.keys.function}, data=b"{not json", timeout=30
    )
    assert raw.status_code == 400
    assert host.client.api("POST", "silences/sil-nope/expire", {"by": "a"}).status_code == 404
    assert host.client.api("GET", "silences?limit=0").status_code == 400
    assert host.client.api("POST", "retrain-budgets/credit-risk/reset", {"by": "a"}).status_code == 400  # no why
    assert host.client.api("POST", "retrain-budgets/bad%20name/reset", {"by": "a", "why": "b"}).status_code == 400


def test_reset_a_retrain_budget_over_http(host: Host) -> None:
    answer = host.client.api("POST", "retrain-budgets/credit-risk/reset", {"by": "ml-lead@contoso", "why": "fixed"})
    assert answer.status_code == 200 and answer.json()["outcome"] == "handled", answer.text
    assert answer.json()["actions"][0]["kind"] == "reset_budget"
    history = host.client.api("GET", "ledger/models/credit-risk").json()["ledger"]
    assert history[-1]["event_type"] == "MLOpsReactor.RetrainBudgetReset"
