"""Trigger bodies translate binding objects into the core and outcomes back (called as the worker would)."""

import json
from collections.abc import Iterator

import azure.functions as func
import pytest

from functions.aml_events import aml_cloudevents, aml_events
from functions.approvals import approvals
from functions.deployments import deployments
from functions.ledger import ledger
from functions.replay import replay
from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.errors import TransientError
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID
from tests.functional.driver import Driver


@pytest.fixture(autouse=True)
def installed(reactor: Reactor, monkeypatch: pytest.MonkeyPatch) -> Iterator[Reactor]:
    monkeypatch.setenv("REACTOR_MODE", "local")
    bootstrap.reset(reactor)
    yield reactor
    bootstrap.reset()


def post(fn: object, url: str, body: object, **route: str) -> func.HttpResponse:
    request = func.HttpRequest(
        "POST", url, body=json.dumps(body).encode(), route_params=route, headers={"content-type": "application/json"}
    )
    return fn(request)  # type: ignore[operator]


def test_event_grid_schema_trigger_runs_the_core(installed: Reactor) -> None:
    raw = synthetic.build("model_registered", WORKSPACE_ID)
    aml_events(
        func.EventGridEvent(
            id=raw["id"],
            data=raw["data"],
            topic=raw["topic"],
            subject=raw["subject"],
            event_type=raw["eventType"],
            event_time=None,
            data_version="2",
        )
    )
    assert installed.store.get_record("credit-risk", "1") is not None


def test_cloudevents_trigger_runs_the_core(installed: Reactor) -> None:
    raw = synthetic.build("model_registered", WORKSPACE_ID, schema="cloudevents")
    aml_cloudevents(
        func.CloudEvent(
            id=raw["id"],
            source=raw["source"],
            type=raw["type"],
            specversion="1.0",
            data=raw["data"],
            subject=raw["subject"],
        )
    )
    assert installed.store.is_completed(raw["id"])


def test_rejected_event_returns_normally_so_event_grid_does_not_retry(installed: Reactor) -> None:
    aml_events(
        func.EventGridEvent(
            id="bad",
            data={"modelName": "x"},
            topic=WORKSPACE_ID,
            subject="",
            event_type="Microsoft.MachineLearningServices.ModelRegistered",
            event_time=None,
            data_version="",
        )
    )
    assert installed.store.dead_letters()[0]["event_id"] == "bad"


def test_transient_failure_raises_so_the_host_answers_500(installed: Reactor) -> None:
    class Down:
        def submit_job(self, job: object) -> None:
            raise TransientError("503 from Azure ML")

    installed.workspace = Down()  # type: ignore[assignment]
    raw = synthetic.build("model_registered", WORKSPACE_ID)
    with pytest.raises(TransientError):
        aml_events(
            func.EventGridEvent(
                id=raw["id"],
                data=raw["data"],
                topic=raw["topic"],
                subject="",
                event_type=raw["eventType"],
                event_time=None,
                data_version="",
            )
        )


def test_replay_is_a_dry_run_by_default(installed: Reactor) -> None:
    response = post(replay, "/api/replay", [synthetic.build("model_registered", WORKSPACE_ID)])
    body = json.loads(response.get_body())
    assert response.status_code == 200 and body["dry_run"] is True
    assert body["events"][0]["actions"][0]["kind"] == "submit_job"
    assert installed.store.records("credit-risk") == []


def test_replay_applies_a_stored_event_and_force_needs_a_reason(installed: Reactor) -> None:
    raw = synthetic.build("model_registered", WORKSPACE_ID)
    installed.handle(raw)
    again = json.loads(post(replay, "/api/replay", {"event_id": raw["id"], "dry_run": False}).get_body())
    assert again["events"][0]["outcome"] == "duplicate"
    refused = post(replay, "/api/replay", {"event_id": raw["id"], "dry_run": False, "force": True})
    assert refused.status_code == 400 and "reason" in json.loads(refused.get_body())["error"]
    missing = post(replay, "/api/replay", {"event_id": "nope"})
    assert missing.status_code == 404


def test_deployment_report_and_approval_over_http(installed: Reactor) -> None:
    drive = Driver(installed)
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=1)
    report = {"model": "credit-risk", "version": "1", "environment": "staging", "status": "succeeded"}
    assert post(deployments, "/api/deployments", report).status_code == 200
    assert json.loads(post(deployments, "/api/deployments", report).get_body())["outcome"] == "duplicate"
    decision = {"decision": "approve", "approver": "ml-lead@contoso.example", "comment": "looks good"}
    response = post(approvals, "/api/approvals/credit-risk/1", decision, model="credit-risk", version="1")
    assert response.status_code == 200, response.get_body()
    assert drive.stage("1") == "approved"


def test_bad_deployment_report_names_the_field(installed: Reactor) -> None:
    response = post(deployments, "/api/deployments", {"model": "m", "version": "1", "environment": "qa"})
    assert response.status_code == 422
    assert "'environment' must be 'staging' or 'production'" in json.loads(response.get_body())["error"]


def azure_mode(monkeypatch: pytest.MonkeyPatch, installed: Reactor, **extra: str) -> None:
    for name, value in {
        "REACTOR_MODE": "azure",
        "AZURE_SUBSCRIPTION_ID": "s",
        "AZURE_RESOURCE_GROUP": "r",
        "AZUREML_WORKSPACE_NAME": "w",
        **extra,
    }.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset(installed)


def staged(installed: Reactor) -> Driver:
    drive = Driver(installed)
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=1)
    drive.report("1", "staging")
    return drive


def approve_as(who: str, **headers: str) -> func.HttpResponse:
    request = func.HttpRequest(
        "POST",
        "/api/approvals/credit-risk/1",
        route_params={"model": "credit-risk", "version": "1"},
        body=json.dumps({"decision": "approve", "approver": "forged"}).encode(),
        headers={"content-type": "application/json", "x-ms-client-principal-name": who, **headers},
    )
    return approvals(request)  # type: ignore[no-any-return]


def test_outside_local_mode_a_principal_header_without_platform_sign_in_is_not_trusted(
    installed: Reactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    drive = staged(installed)
    azure_mode(monkeypatch, installed)
    response = approve_as("ml-lead@contoso.example")
    assert response.status_code == 401 and "App Service Authentication" in json.loads(response.get_body())["error"]
    assert drive.stage("1") == "staging"


def test_behind_platform_sign_in_the_signed_in_approver_is_recorded(
    installed: Reactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged(installed)
    azure_mode(monkeypatch, installed, WEBSITE_AUTH_ENABLED="True")
    assert approve_as("someone@else").status_code == 422  # signed in, but not an approver the policy names
    assert approve_as("ml-lead@contoso.example").status_code == 200
    record = installed.store.get_record("credit-risk", "1")
    assert (record.stage, record.approved_by) == ("approved", "ml-lead@contoso.example")


def test_approval_link_in_the_request_carries_the_approvals_key(settings: Settings) -> None:
    reactor = bootstrap.build(Settings.from_env({**settings.env, "REACTOR_APPROVAL_LINK_KEY": "k/1"}))
    drive = staged(reactor)
    [ask] = drive.notices("approval_requested")
    assert ask.links["Review and approve"].endswith("/api/approvals/credit-risk/1?code=k%2F1")
    assert "k%2F1" not in json.dumps([e.detail for e in reactor.store.ledger()])


def test_ledger_shows_a_model_version_history(installed: Reactor) -> None:
    Driver(installed).register()
    request = func.HttpRequest(
        "GET",
        "/api/ledger/models/credit-risk/1",
        body=b"",
        route_params={"kind": "models", "key": "credit-risk", "version": "1"},
    )
    body = json.loads(ledger(request).get_body())
    assert body["records"][0]["stage"] == "testing"
    assert body["ledger"][0]["event_type"].endswith("ModelRegistered")


def test_an_approval_refused_before_staging_does_not_block_the_real_one(installed: Reactor) -> None:
    drive = Driver(installed)
    drive.register()
    decision = {"decision": "approve", "approver": "ml-lead@contoso.example"}
    early = post(approvals, "/api/approvals/credit-risk/1", decision, model="credit-risk", version="1")
    assert early.status_code == 422
    drive.finish("offline_test", auc=0.9, latency_ms=1)
    drive.report("1", "staging")
    real = post(approvals, "/api/approvals/credit-risk/1", decision, model="credit-risk", version="1")
    assert real.status_code == 200 and json.loads(real.get_body())["outcome"] == "handled"
    again = post(approvals, "/api/approvals/credit-risk/1", decision, model="credit-risk", version="1")
    assert json.loads(again.get_body())["outcome"] == "duplicate"
    assert drive.stage("1") == "approved"


def test_an_approval_refused_too_early_and_replayed_later_is_not_applied(installed: Reactor) -> None:
    drive = Driver(installed)
    drive.register()
    decision = {"decision": "approve", "approver": "ml-lead@contoso.example"}
    early = post(approvals, "/api/approvals/credit-risk/1", decision, model="credit-risk", version="1")
    assert early.status_code == 422
    refused_id = installed.store.dead_letters()[0]["event_id"]
    drive.finish("offline_test", auc=0.9, latency_ms=1)
    drive.report("1", "staging")
    for dry_run in (True, False):  # the dry run says so too
        answer = post(replay, "/api/replay", {"event_id": refused_id, "dry_run": dry_run})
        [event] = json.loads(answer.get_body())["events"]
        assert event["outcome"] == "ignored" and "a person's act" in " ".join(event["notes"])
    assert drive.stage("1") == "staging"
    assert [r.environment for r in drive.cd.requests()] == ["staging"]
