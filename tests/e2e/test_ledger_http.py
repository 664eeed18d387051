"""GET /api/ledger/models/{model}[/{version}] over real HTTP: a page newest first, a cursor to go on, named 400s;
the function key may come in the query (`code`), as Azure accepts it, without being read as a filter."""

from __future__ import annotations

import requests

from tests.e2e.conftest import Host


def test_a_models_ledger_pages_newest_first_with_a_cursor(host: Host) -> None:
    for _ in range(3):
        host.register()
    first = host.client.api("GET", "ledger/models/credit-risk?limit=2").json()
    assert [e["version"] for e in first["ledger"]] == ["3", "2"] and first["next"]
    assert [r["version"] for r in first["records"]] == ["1", "2", "3"]
    rest = host.client.api("GET", f"ledger/models/credit-risk?limit=2&cursor={first['next']}").json()
    assert [e["version"] for e in rest["ledger"]] == ["1"] and rest["next"] is None
    one = host.client.api("GET", "ledger/models/credit-risk/2").json()
    assert [r["version"] for r in one["records"]] == ["2"] and [e["version"] for e in one["ledger"]] == ["2"]


def test_bad_paging_parameters_are_a_400_naming_them(host: Host) -> None:
    for query, name in [("limit=0", "limit"), ("limit=501", "limit"), ("cursor=%%%", "cursor"), ("page=2", "page")]:
        answer = host.client.api("GET", f"ledger/models/credit-risk?{query}")
        assert answer.status_code == 400, query
        assert answer.json()["parameter"] == name and f"'{name}'" in answer.json()["error"]


def test_the_function_key_in_the_query_is_not_a_filter(host: Host) -> None:
    host.register()
    key = {"code": host.keys.function}
    for path in ("ledger/models/credit-risk", "deadletters", "deadletters/eventgrid", "silences"):
        answer = requests.get(f"{host.url}/api/{path}", params={**key, "limit": "1"}, timeout=30)
        assert answer.status_code == 200, (path, answer.text)
        assert host.keys.function not in answer.text
    replayed = requests.post(f"{host.url}/api/replay", params=key, json={"event_id": "nothing-such"}, timeout=30)
    assert replayed.status_code in (400, 404) and host.keys.function not in replayed.text
