"""GET /api/deadletters and POST /api/deadletters/redrive over real HTTP: paging, filters, named 400s, auth."""

from __future__ import annotations

import json

import requests

from shared.tools import synthetic
from tests.e2e.conftest import Host
from tests.e2e.test_bad_input import deliver


def _reject_three(host: Host) -> None:
    """Three events from another workspace: refused and kept as dead letters."""
    other = "/subscriptions/x/resourceGroups/y/providers/Microsoft.MachineLearningServices/workspaces/other"
    for n in range(3):
        event = synthetic.build("model_registered", other, model=f"m{n}", id=f"foreign-{n}")
        assert deliver(host, json.dumps([event])).status_code == 202  # acknowledged: no retry would help


def test_pages_newest_first_with_a_cursor_and_filters(host: Host) -> None:
    _reject_three(host)
    first = host.client.api("GET", "deadletters?limit=2").json()
    assert [x["event_id"] for x in first["dead_letters"]] == ["foreign-2", "foreign-1"]
    assert {x["status"] for x in first["dead_letters"]} == {"open"} and first["next"]
    rest = host.client.api("GET", f"deadletters?limit=2&cursor={first['next']}").json()
    assert [x["event_id"] for x in rest["dead_letters"]] == ["foreign-0"] and rest["next"] is None
    assert host.client.api("GET", "deadletters?type=Nope").json()["dead_letters"] == []
    assert host.client.api("GET", "deadletters?status=resolved").json()["dead_letters"] == []
    assert len(host.client.api("GET", "deadletters?reason=workspace&since=2000-01-01").json()["dead_letters"]) == 3


def test_bad_parameters_are_a_400_naming_them(host: Host) -> None:
    for query, name in [
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("since=yesterday", "since"),
        ("since=2026-12-03&until=2026-12-01", "until"),
        ("cursor=%%%", "cursor"),
        ("colour=red", "colour"),
        ("status=lost", "status"),
    ]:
        answer = host.client.api("GET", f"deadletters?{query}")
        assert answer.status_code == 400, query
        assert answer.json()["parameter"] == name and f"'{name}'" in answer.json()["error"]
    bad = host.client.api("POST", "deadletters/redrive", {"dry_run": "perhaps"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "dry_run"
    assert host.client.api("POST", "deadletters/redrive", [1]).status_code == 400


def test_redrive_is_a_dry_run_unless_told_and_needs_the_function_key(host: Host) -> None:
    _reject_three(host)
    planned = host.client.api("POST", "deadletters/redrive", {"limit": 2})
    assert planned.status_code == 200
    assert planned.json()["dry_run"] is True and planned.json()["counts"] == {"rejected": 2} and planned.json()["next"]
    acted = host.client.api("POST", "deadletters/redrive", {"dry_run": False, "type": "nothing-of-this-type"})
    assert acted.json() == {"dry_run": False, "counts": {}, "letters": [], "next": None}
    assert requests.get(f"{host.url}/api/deadletters", timeout=30).status_code == 401


def test_eventgrid_blobs_listed_and_redriven_over_http(host: Host) -> None:
    from shared.adapters.deadletter.folder import FolderLetters
    from tests.contract.test_eventgrid_letters import given_up_eventgrid

    event = synthetic.build("model_registered", host.settings.workspace_id, model="m1", version="1", id="lost-9")
    folder = FolderLetters(host.settings.state_dir / "eventgrid-deadletter")
    folder.write("MLOPS-REACTOR-MODELS/2026/12/3/7/a.json", json.dumps([given_up_eventgrid(event)]).encode())
    listed = host.client.api("GET", "deadletters/eventgrid?subscription=mlops-reactor-models&date=2026-12-03")
    assert listed.status_code == 200
    assert listed.json()["by_reason"] == {"MaxDeliveryAttemptsExceeded/Forbidden": 1}
    dry = host.client.api("POST", "deadletters/eventgrid/redrive", {"subscription": "MLOPS-REACTOR-MODELS"})
    assert dry.json()["dry_run"] is True and dry.json()["counts"] == {"handled": 1}
    acted = host.client.api("POST", "deadletters/eventgrid/redrive", {"dry_run": False})
    assert acted.json()["counts"] == {"handled": 1}
    assert host.client.api("POST", "deadletters/eventgrid/redrive", {"dry_run": False}).json()["counts"] == {
        "skipped": 1
    }
    forced = host.client.api("POST", "deadletters/eventgrid/redrive", {"dry_run": False, "again": True})
    assert forced.json()["counts"] == {"duplicate": 1}
    for query, name in [("date=2026-12-03", "subscription"), ("subscription=S&hour=1", "date"), ("hour=x", "hour")]:
        answer = host.client.api("GET", f"deadletters/eventgrid?{query}")
        assert answer.status_code == 400 and answer.json()["parameter"] == name, query
    bad = host.client.api("POST", "deadletters/eventgrid/redrive", {"again": "twice"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "again"
