"""At-least-once delivery, exactly-once effects; storms grouped; bad input loses nothing."""

from pathlib import Path

import pytest

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.actions import Notify, SubmitJob
from shared.core.clock import FixedClock
from shared.core.errors import TransientError
from shared.core.ports import Receipt
from shared.core.state import Commit, Intent, LedgerEntry
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID, load_event
from tests.functional.driver import Driver


@pytest.fixture
def drive(reactor: Reactor) -> Driver:
    return Driver(reactor)


def test_duplicate_delivery_submits_one_pipeline(drive: Driver) -> None:
    event, _ = drive.register()
    [again] = drive.deliver(event)
    assert again.outcome == "duplicate"
    assert len(drive.workspace.jobs()) == 1


def test_duplicate_test_result_triggers_one_cd_and_one_notice(drive: Driver) -> None:
    drive.register()
    events = drive.workspace.complete_job(
        drive.queued("offline_test")["name"], "Completed", {"auc": 0.9, "latency_ms": 1}
    )
    first = drive.deliver(*events)
    second = drive.deliver(*events)
    assert [o.outcome for o in first] == ["handled", "duplicate"]
    assert [o.outcome for o in second] == ["duplicate", "duplicate"]
    assert len(drive.cd.requests()) == 1
    assert len(drive.notices("verdict")) == 1


def test_run_completed_and_status_changed_completed_are_one_occurrence(drive: Driver) -> None:
    drive.register()
    completed, status_changed = drive.workspace.complete_job(
        drive.queued("offline_test")["name"], "Completed", {"auc": 0.9, "latency_ms": 1}
    )
    [first] = drive.deliver(status_changed)
    [second] = drive.deliver(completed)
    assert (first.outcome, second.outcome) == ("handled", "duplicate")


def test_storm_of_1000_failures_sends_one_notice_per_window(drive: Driver, clock: FixedClock) -> None:
    storm = [
        synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Failed") for _ in range(1000)
    ]
    outcomes = drive.deliver(*storm)
    assert all(o.outcome == "handled" for o in outcomes)
    assert len(drive.notices("run_failed")) == 1
    clock.advance(minutes=15)
    drive.deliver(synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Canceled"))
    alerts = drive.notices("run_failed")
    assert len(alerts) == 2
    assert alerts[1].facts["Grouped since the last alert"] == "999"


def test_storms_are_grouped_per_experiment(drive: Driver) -> None:
    for experiment in ("a", "b", "a", "b"):
        drive.deliver(synthetic.build("run_status_changed", WORKSPACE_ID, experiment=experiment, status="Failed"))
    assert sorted(n.facts["Experiment"] for n in drive.notices("run_failed")) == ["a", "b"]


@pytest.mark.parametrize(
    "name",
    [
        "bad.missing_data.json",
        "bad.version_list.json",
        "bad.missing_run_id.json",
        "bad.model_name.json",
        "bad.missing_id.json",
        "bad.model_ids.json",
        "bad.untrusted_topic.json",
        "bad.not_an_object.json",
    ],
)
def test_bad_input_is_rejected_clearly_and_dead_lettered(drive: Driver, name: str) -> None:
    [outcome] = drive.reactor.handle_delivery(load_event(name))
    assert outcome.outcome == "rejected"
    assert outcome.error and ("must be" in outcome.error or "not the configured workspace" in outcome.error)
    [letter] = drive.reactor.store.dead_letters()
    assert letter["reason"] == outcome.error
    assert letter["raw"]
    assert drive.workspace.jobs() == [] and drive.notices() == []


def test_dead_lettered_event_can_be_replayed_after_the_cause_is_fixed(tmp_path: Path, clock: FixedClock) -> None:
    wrong = Settings.from_env(
        {
            "REACTOR_STATE_DIR": str(tmp_path),
            "AZURE_SUBSCRIPTION_ID": "other",
            "AZURE_RESOURCE_GROUP": "rg",
            "AZUREML_WORKSPACE_NAME": "ws",
            "REACTOR_MODE": "local",
        }
    )
    event = load_event("model_registered.eventgrid.pascal.json")[0]
    [rejected] = bootstrap.build(wrong, clock=clock).handle_delivery([event])
    assert rejected.outcome == "rejected"
    fixed = Settings.from_env(
        {
            **wrong.env,
            "AZURE_SUBSCRIPTION_ID": "11111111-2222-3333-4444-555555555555",
            "AZURE_RESOURCE_GROUP": "ml-rg",
            "AZUREML_WORKSPACE_NAME": "ml-ws",
        }
    )
    reactor = bootstrap.build(fixed, clock=clock)
    stored = reactor.store.get_event(rejected.id)
    assert stored == event
    assert reactor.handle(stored).outcome == "handled"


def test_source_compared_case_insensitively(drive: Driver) -> None:
    [outcome] = drive.reactor.handle_delivery(load_event("model_registered.cloudevents.camel.json"))
    assert outcome.outcome == "handled"


class FlakyWorkspace:
    """Fails the first submissions with a transient error, then delegates."""

    def __init__(self, inner: object, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def submit_job(self, job: SubmitJob) -> Receipt:
        if self.failures:
            self.failures -= 1
            raise TransientError("Azure ML answered 503")
        return self.inner.submit_job(job)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_transient_failure_keeps_the_committed_intent_and_the_redelivery_carries_it_out(
    settings: Settings, clock: FixedClock
) -> None:
    base = bootstrap.build(settings, clock=clock)
    flaky = FlakyWorkspace(base.workspace, failures=1)
    reactor = bootstrap.build(settings, clock=clock, workspace=flaky)
    event = synthetic.build("model_registered", reactor.workspace_id)
    with pytest.raises(TransientError):
        reactor.handle(event)
    # The decision was committed before any effect: the state says testing, the job is an intent not yet done.
    record = reactor.store.get_record("credit-risk", "1")
    assert record is not None and str(record.stage) == "testing"
    assert base.workspace.jobs() == []  # type: ignore[attr-defined]
    assert reactor.handle(event).outcome == "handled"
    assert len(base.workspace.jobs()) == 1  # type: ignore[attr-defined]


def test_actions_done_before_a_transient_failure_are_not_repeated(settings: Settings, clock: FixedClock) -> None:
    class FlakyTags(FlakyWorkspace):
        def submit_job(self, job: SubmitJob) -> Receipt:
            return self.inner.submit_job(job)  # type: ignore[attr-defined]

        def set_model_tags(self, *args: object) -> None:
            if self.failures:
                self.failures -= 1
                raise TransientError("throttled")
            self.inner.set_model_tags(*args)  # type: ignore[attr-defined]

    base = bootstrap.build(settings, clock=clock)
    reactor = bootstrap.build(settings, clock=clock, workspace=FlakyTags(base.workspace, failures=1))
    event = synthetic.build("model_registered", reactor.workspace_id)
    with pytest.raises(TransientError):
        reactor.handle(event)
    outcome = reactor.handle(event)
    assert [a["status"] for a in outcome.actions] == ["already_done", "done"]
    assert len(base.workspace.jobs()) == 1  # type: ignore[attr-defined]


def test_event_being_handled_elsewhere_is_a_transient_error(reactor: Reactor, clock: FixedClock) -> None:
    held = Commit(
        claim_id="evt-1",
        occurrence=None,
        raw={},
        ledger=LedgerEntry(event_id="evt-1", event_type="t", at="", outcome="handled"),
        intents=(Intent(key="held", action=Notify(key="held", channel="oncall", template="t", title="t").describe()),),
    )
    assert reactor.store.commit(held, clock.now(), 60).pending  # another delivery committed it and is acting
    event = synthetic.build("model_registered", reactor.workspace_id, id="evt-1")
    with pytest.raises(TransientError, match="being handled elsewhere"):
        reactor.handle(event)
    clock.advance(seconds=61)
    assert reactor.handle(event).outcome == "handled"


def test_dry_run_changes_no_state_and_calls_nothing(drive: Driver) -> None:
    event = synthetic.build("model_registered", WORKSPACE_ID)
    [plan] = drive.reactor.handle_delivery([event], dry_run=True)
    assert plan.outcome == "handled"
    assert [a["kind"] for a in plan.actions] == ["submit_job", "tag_model"]
    assert drive.workspace.jobs() == []
    assert drive.reactor.store.ledger() == []
    assert drive.reactor.handle(event).outcome == "handled"


def test_forced_replay_reruns_a_completed_event_and_records_the_reason(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.6, latency_ms=1)
    assert drive.stage("1") == "rejected"
    event = drive.workspace.register_model("credit-risk")
    drive.deliver(event)
    outcome = drive.reactor.handle(event, force_reason="re-test after fixing the test data")
    assert outcome.outcome == "ignored"  # v2 is already testing: nothing is submitted twice
    forced = [e for e in drive.reactor.store.ledger(event_id=event["id"]) if e.detail and e.detail.get("forced")]
    assert forced and forced[0].detail["forced"] == "re-test after fixing the test data"


def test_event_rejected_after_its_claim_is_replayed_by_id_once_the_cause_is_fixed(drive: Driver) -> None:
    import json

    from shared.web import http_api

    event = synthetic.build("model_registered", WORKSPACE_ID.replace("ml-ws", "ml-ws-new"))
    refused = drive.reactor.handle(event)
    assert refused.outcome == "rejected"  # a workspace the app was not configured for yet
    drive.reactor.workspace_id = WORKSPACE_ID.replace("ml-ws", "ml-ws-new")  # the operator fixes the setting
    status, body = http_api.replay(drive.reactor, json.dumps({"event_id": refused.id, "dry_run": False}).encode(), {})
    assert status == 200 and body["events"][0]["outcome"] == "handled"
    assert drive.stage("1") == "testing"


def test_a_stored_approval_is_never_applied_again_by_replay(drive: Driver) -> None:
    import json

    from shared.web import http_api

    drive.register()
    refused = drive.approve("1")
    assert refused.outcome == "rejected"  # too early: the version is testing
    drive.finish("offline_test", auc=0.9, latency_ms=1)
    drive.report("1", "staging")
    status, body = http_api.replay(drive.reactor, json.dumps({"event_id": refused.id, "dry_run": False}).encode(), {})
    assert status == 200 and body["events"][0]["outcome"] == "ignored"
    assert drive.stage("1") == "staging"  # the approver decides again, on the page, while it is in staging


def test_a_grouped_failure_is_recorded_once_even_when_redelivered(drive: Driver) -> None:
    first = synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Failed")
    storm = synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Failed")
    drive.deliver(first)
    [grouped] = drive.deliver(storm)
    [again] = drive.deliver(storm)
    assert ([a["status"] for a in grouped.actions], again.outcome) == (["grouped"], "duplicate")
    assert [e.outcome for e in drive.reactor.store.ledger(event_id=storm["id"])] == ["handled"]
    assert drive.reactor.store.is_completed(storm["id"])


def test_an_old_failure_redelivered_in_a_later_window_does_not_silence_it(drive: Driver, clock: FixedClock) -> None:
    old = synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Failed")
    drive.deliver(old)
    clock.advance(minutes=16)
    [again] = drive.deliver(old)
    assert again.outcome == "duplicate"
    fresh = synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Failed")
    drive.deliver(fresh)
    assert len(drive.notices("run_failed")) == 2
