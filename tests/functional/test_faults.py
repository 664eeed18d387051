"""Faults in the middle of an event: nothing lost, nothing done twice, nothing blocked by a cosmetic failure."""

from typing import Any

import pytest

from shared.app import bootstrap
from shared.app.settings import Settings
from shared.core.actions import TriggerCD
from shared.core.clock import FixedClock
from shared.core.errors import TransientError, UpstreamRejected
from shared.core.ports import Receipt
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID
from tests.functional.driver import Driver


class Flaky:
    """Wraps an adapter; the named method fails with the given errors first, then delegates."""

    def __init__(self, inner: Any, method: str, *errors: Exception) -> None:
        self.inner, self.method, self.errors = inner, method, list(errors)
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if name != self.method:
            return target

        def call(*args: Any) -> Any:
            self.calls += 1
            if self.errors:
                raise self.errors.pop(0)
            return target(*args)

        return call


def build(settings: Settings, clock: FixedClock, **ports: Any) -> Driver:
    return Driver(bootstrap.build(settings, clock=clock, **ports))


def test_first_alert_of_a_window_is_sent_after_its_transient_failure(settings: Settings, clock: FixedClock) -> None:
    plain = build(settings, clock)
    notifier = Flaky(plain.outbox, "send", TransientError("Teams answered 503"))
    drive = Driver(bootstrap.build(settings, clock=clock, notifier=notifier))
    drive.outbox = plain.outbox
    first = synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Failed")
    with pytest.raises(TransientError):
        drive.reactor.handle(first)
    second = synthetic.build("run_status_changed", WORKSPACE_ID, experiment="nightly", status="Failed")
    assert [a["status"] for a in drive.reactor.handle(second).actions] == ["grouped"]
    assert [a["status"] for a in drive.reactor.handle(first).actions] == ["done"]
    assert len(plain.notices("run_failed")) == 1


class LostAnswer:
    """A CD system that carries out the request but whose answer never arrives, once."""

    def __init__(self) -> None:
        self.carried_out: list[TriggerCD] = []

    def deploy(self, request: TriggerCD) -> Receipt:
        self.carried_out.append(request)
        if len(self.carried_out) == 1:
            raise TransientError("GitHub did not answer within 10s", maybe_done=True)
        return Receipt(ref="run-2")


def test_cd_request_whose_answer_was_lost_is_not_sent_again(settings: Settings, clock: FixedClock) -> None:
    cd = LostAnswer()
    drive = build(settings, clock, deployer=cd)
    drive.register()
    events = drive.workspace.complete_job(
        drive.queued("offline_test")["name"], "Completed", {"auc": 0.9, "latency_ms": 1}
    )
    with pytest.raises(TransientError):
        drive.reactor.handle(events[0])
    redelivered = drive.reactor.handle(events[0])
    [cd_result] = [a for a in redelivered.actions if a["kind"] == "trigger_cd"]
    assert cd_result["status"] == "unconfirmed" and "correlation id" in cd_result["error"]
    assert len(cd.carried_out) == 1
    assert drive.stage("1") == "candidate"  # the loop goes on: CD's own report confirms it
    assert any("correlation id" in d["reason"] for d in drive.reactor.store.dead_letters())
    assert drive.report("1", "staging").outcome == "handled" and drive.stage("1") == "staging"


def test_a_refused_tag_does_not_block_the_lifecycle(settings: Settings, clock: FixedClock) -> None:
    plain = build(settings, clock)
    workspace = Flaky(plain.workspace, "set_model_tags", UpstreamRejected("403 on tags"))
    drive = build(settings, clock, workspace=workspace)
    [outcome] = drive.register()[1]
    assert [a["status"] for a in outcome.actions] == ["done", "failed"]
    assert drive.stage("1") == "testing"


def test_an_unexpected_error_releases_the_claim_for_redelivery(settings: Settings, clock: FixedClock) -> None:
    plain = build(settings, clock)
    workspace = Flaky(plain.workspace, "submit_job", KeyError("bug"))
    drive = build(settings, clock, workspace=workspace)
    event = synthetic.build("model_registered", WORKSPACE_ID)
    with pytest.raises(KeyError):
        drive.reactor.handle(event)
    assert drive.reactor.handle(event).outcome == "handled"


def test_dry_run_of_a_test_result_reads_no_metrics(settings: Settings, clock: FixedClock) -> None:
    plain = build(settings, clock)
    workspace = Flaky(plain.workspace, "job_metrics", AssertionError("dry-run called the workspace"))
    drive = build(settings, clock, workspace=workspace)
    drive.register()
    events = drive.workspace.complete_job(drive.queued("offline_test")["name"], "Completed", {"auc": 0.9})
    [plan] = drive.reactor.handle_delivery(events[:1], dry_run=True)
    assert plan.actions == () and "dry-run" in plan.notes[0]
    assert workspace.calls == 0


def test_a_test_job_not_responding_pages_but_keeps_the_version_testing(settings: Settings, clock: FixedClock) -> None:
    drive = build(settings, clock)
    drive.register()
    job = drive.queued("offline_test")["name"]
    drive.deliver(*drive.workspace.complete_job(job, "NotResponding"))
    assert drive.stage("1") == "testing"
    assert [n.template for n in drive.notices()] == ["run_failed"]
    drive.deliver(*drive.workspace.complete_job(job, "Completed", {"auc": 0.9, "latency_ms": 1}))
    assert drive.stage("1") == "candidate"
