"""The dev host over real HTTP: the Event Grid webhook rules, keys, and the whole loop."""

from __future__ import annotations

import json

import requests

from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.app.settings import APP_ROOT
from shared.core.actions import SubmitJob
from shared.core.errors import TransientError
from shared.core.ports import Receipt
from shared.tools import synthetic
from tests.e2e.conftest import Host

WEBHOOK = "/runtime/webhooks/eventgrid"


def _post(
    host: Host, body: object, *, function: str = "aml_events", key: str | None = None, **headers: str
) -> requests.Response:
    query = {"functionName": function, "code": host.keys.eventgrid if key is None else key}
    return requests.post(f"{host.url}{WEBHOOK}", params=query, data=json.dumps(body), headers=headers, timeout=30)


def test_subscription_validation_echoes_the_code(host: Host) -> None:
    event = {
        "id": "v1",
        "topic": "/subscriptions/x",
        "subject": "",
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2026-11-22T09:00:00Z",
        "data": {
            "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
            "validationUrl": "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate",
        },
        "dataVersion": "1",
        "metadataVersion": "1",
    }
    answer = _post(host, [event], **{"aeg-event-type": "SubscriptionValidation"})
    assert answer.status_code == 200
    assert answer.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}


def test_cloudevents_options_handshake_allows_the_origin(host: Host) -> None:
    answer = requests.options(
        f"{host.url}{WEBHOOK}",
        params={"functionName": "aml_cloudevents", "code": host.keys.eventgrid},
        headers={"WebHook-Request-Origin": "eventgrid.azure.net"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"
    assert answer.headers["WebHook-Allowed-Rate"] == "*"


def test_missing_event_type_header_is_400(host: Host) -> None:
    event = synthetic.build("model_registered", host.settings.workspace_id)
    answer = _post(host, [event])
    assert answer.status_code == 400
    assert "aeg-event-type" in answer.text


def test_unsubscribe_is_202(host: Host) -> None:
    assert _post(host, [], **{"aeg-event-type": "Unsubscribe"}).status_code == 202


def test_unknown_function_is_404(host: Host) -> None:
    answer = _post(host, [], function="no_such_function", **{"aeg-event-type": "Notification"})
    assert answer.status_code == 404
    assert "no_such_function" in answer.text


def test_keys_are_required_where_azure_requires_them(host: Host) -> None:
    event = synthetic.build("model_registered", host.settings.workspace_id)
    assert _post(host, [event], key="", **{"aeg-event-type": "Notification"}).status_code == 401
    assert _post(host, [event], key=host.keys.function, **{"aeg-event-type": "Notification"}).status_code == 401
    assert requests.get(f"{host.url}/api/ledger/dead-letters", timeout=30).status_code == 401
    wrong = {"x-functions-key": "not-the-key"}
    assert requests.get(f"{host.url}/api/ledger/dead-letters", headers=wrong, timeout=30).status_code == 401
    assert (
        requests.get(f"{host.url}/api/ledger/dead-letters", params={"code": host.keys.function}, timeout=30).status_code
        == 200
    )
    assert requests.get(f"{host.url}/api/health", timeout=30).json() == {"status": "ok"}  # anonymous


def test_http_trigger_methods_are_enforced(host: Host) -> None:
    answer = host.client.api("GET", "deployments")
    assert answer.status_code == 405
    assert "POST" in answer.headers["Allow"]


def test_cloudevents_delivery_reaches_the_cloudevents_function(host: Host) -> None:
    event = host.workspace.register_model("fraud")
    cloud = synthetic.build(
        "model_registered",
        host.settings.workspace_id,
        schema="cloudevents",
        model="fraud",
        version=event["data"]["modelVersion"],
    )
    answer = host.client.deliver(cloud)
    assert answer.status_code == 202
    assert host.record("fraud", "1")["stage"] == "testing"


def test_full_loop_reaches_production_with_the_approver_recorded(host: Host) -> None:
    host.register()
    host.finish_test(auc=0.9, latency_ms=100)
    host.report("credit-risk", "1", "staging")
    decision = {"decision": "approve", "approver": "ml-lead@contoso.example", "comment": "ship it"}
    approved = host.client.api("POST", "approvals/credit-risk/1", decision)
    assert approved.status_code == 200 and approved.json()["outcome"] == "handled"
    host.report("credit-risk", "1", "production")
    record = host.record("credit-risk", "1")
    assert record["stage"] == "production"
    assert record["approved_by"] == "ml-lead@contoso.example"
    assert [step["to"] for step in record["history"]] == ["testing", "candidate", "staging", "approved", "production"]


class FlakyWorkspace(LocalWorkspace):
    """The simulator, but Azure ML throttles the first job submission once."""

    failures = 1

    def submit_job(self, job: SubmitJob) -> Receipt:
        if self.failures:
            self.failures -= 1
            raise TransientError("Azure ML answered 429 Too Many Requests")
        return super().submit_job(job)


def test_transient_failure_is_500_and_the_redelivery_succeeds(host: Host) -> None:
    settings = bootstrap.settings()
    flaky = FlakyWorkspace(host.state / "workspace.db", APP_ROOT, settings.workspace_id)
    bootstrap.reset(bootstrap.build(settings, workspace=flaky))
    event = host.workspace.register_model("credit-risk")
    first = host.client.deliver([event])
    assert first.status_code == 500
    assert "429" in first.text
    # The decision was committed before the job was submitted: the ledger shows the job as planned, not done.
    committed = host.client.api("GET", f"ledger/events/{event['id']}").json()
    assert "planned" in json.dumps(committed) and '"done"' not in json.dumps(committed)
    again = host.client.deliver([event], delivery_count=2)
    assert again.status_code == 202
    assert host.record("credit-risk", "1")["stage"] == "testing"
    assert len(host.workspace.jobs(status="Queued")) == 1


def test_a_failing_event_fails_the_whole_batch(host: Host) -> None:
    good = synthetic.build("model_registered", host.settings.workspace_id, model="a")
    answer = host.client.deliver([good, "not an event"])
    assert answer.status_code == 500
    assert host.record("a", "1")["stage"] == "testing"  # the others still ran, as in the host


def test_the_function_list_gives_a_url_only_to_what_a_request_reaches(host: Host) -> None:
    listed = {
        line.split(":")[0].strip(): line for line in requests.get(f"{host.url}/", timeout=10).text.splitlines()[1:]
    }
    assert listed["aml_events"].endswith("/runtime/webhooks/eventgrid?functionName=aml_events")
    assert listed["health"].endswith("/api/health")
    for timer, trigger in (("sweep", "timerTrigger"), ("reconcile", "timerTrigger"), ("warmup", "warmupTrigger")):
        assert listed[timer] == f"    {timer}: {trigger}"
