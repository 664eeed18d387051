"""The watchdog over real HTTP: ARM's resource writes through the Event Grid webhook of the dev host."""

from __future__ import annotations

import json

from shared.adapters.notify.outbox import OutboxNotifier
from shared.tools import synthetic
from tests.e2e.conftest import Host
from tests.e2e.test_bad_input import dead_letter, deliver


def test_a_hotfix_written_outside_the_loop_pages_on_call_once_through_the_webhook(host: Host) -> None:
    host.register()  # credit-risk:1 is testing
    writes = host.workspace.endpoints.write_deployment(
        "credit-risk-prod", "hotfix", "azureml:credit-risk:1", caller={"writer": "Mallory", "upn": "m@contoso.com"}
    )
    for event in writes:
        assert deliver(host, json.dumps([event])).status_code == 202

    pages = [n for n in OutboxNotifier(host.state / "outbox").sent() if n.template == "out_of_band"]
    assert [p.facts["Written by"].split(" (")[0] for p in pages] == ["Mallory <m@contoso.com>"]


def test_a_malformed_resource_write_is_acknowledged_and_dead_lettered_naming_the_field(host: Host) -> None:
    event = synthetic.build("resource_write", host.settings.workspace_id, id="rw-bad-1")
    event["data"]["resourceUri"] = 42
    assert deliver(host, json.dumps([event])).status_code == 202
    assert "field 'data.resourceUri' must be a non-empty string" in dead_letter(host, "rw-bad-1")["reason"]

    replayed = host.client.api("POST", "replay", {"events": [event]})
    assert replayed.status_code == 200
    [outcome] = replayed.json()["events"]
    assert outcome["outcome"] == "rejected" and "data.resourceUri" in outcome["error"]
