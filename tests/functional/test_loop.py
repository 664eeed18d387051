"""Every reaction of the loop, through the real core on embedded adapters."""

import pytest

from shared.core.clock import FixedClock
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.functional.driver import Driver


@pytest.fixture
def drive(reactor: Reactor) -> Driver:
    return Driver(reactor)


def test_registered_model_gets_its_offline_test_job(drive: Driver) -> None:
    _, [outcome] = drive.register()
    assert outcome.outcome == "handled"
    job = drive.queued("offline_test")
    assert (job["model"], job["version"], job["job_file"]) == ("credit-risk", "1", "pipelines/offline_test.yml")
    assert job["tags"]["mlops_reactor_purpose"] == "offline_test"
    assert drive.stage("1") == "testing"
    assert drive.workspace.model_tags("credit-risk", "1")["mlops_reactor_stage"] == "testing"


def test_passing_test_goes_to_staging_cd_and_tells_the_data_scientists(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    assert drive.stage("1") == "candidate"
    [request] = drive.cd.requests()
    assert (request.environment, request.model, request.version) == ("staging", "credit-risk", "1")
    [verdict] = drive.notices("verdict")
    assert verdict.channel == "data-science" and verdict.facts["Verdict"] == "passed"


def test_failing_test_is_rejected_with_reasons_and_no_cd(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.6, latency_ms=100)
    assert drive.stage("1") == "rejected"
    assert drive.cd.requests() == []
    [verdict] = drive.notices("verdict")
    assert "FAIL auc = 0.6" in verdict.facts["Checks"]
    assert "gate failed" in drive.reactor.store.get_record("credit-risk", "1").history[-1]["reason"]


def test_staging_report_asks_for_approval_with_a_link(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    assert drive.stage("1") == "staging"
    [ask] = drive.notices("approval_requested")
    assert ask.channel == "approvals"
    assert ask.links["Review and approve"].endswith("/api/approvals/credit-risk/1")


def test_approval_triggers_production_cd_and_records_the_approver(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    outcome = drive.approve("1", by="ML-Lead@contoso.example")
    assert outcome.outcome == "handled"
    production = [r for r in drive.cd.requests() if r.environment == "production"]
    assert [(r.version, r.approved_by) for r in production] == [("1", "ML-Lead@contoso.example")]
    drive.report("1", "production")
    record = drive.reactor.store.get_record("credit-risk", "1")
    assert (record.stage, record.approved_by) == ("production", "ML-Lead@contoso.example")
    entries = drive.reactor.store.ledger(model="credit-risk", version="1")
    approvals = [e for e in entries if e.event_type == "MLOpsReactor.ApprovalDecided"]
    assert approvals[0].detail["transitions"][0]["by"] == "ML-Lead@contoso.example"


def test_human_rejection_in_staging_stops_the_version(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    drive.approve("1", reject=True)
    assert drive.stage("1") == "rejected"
    assert [r.environment for r in drive.cd.requests()] == ["staging"]


def test_new_champion_supersedes_the_old_one(drive: Driver) -> None:
    drive.register()
    drive.to_production("1")
    drive.register()
    job = drive.queued("offline_test")
    assert job["champion_version"] == "1"
    drive.finish("offline_test", auc=0.95, champion_auc=0.9, latency_ms=100)
    drive.report("2", "staging")
    drive.approve("2")
    drive.report("2", "production")
    assert (drive.stage("1"), drive.stage("2")) == ("superseded", "production")


def test_challenger_not_beating_champion_is_rejected(drive: Driver) -> None:
    drive.register()
    drive.to_production("1")
    drive.register()
    drive.finish("offline_test", auc=0.903, champion_auc=0.9, latency_ms=100)
    assert drive.stage("2") == "rejected"


def test_approval_outside_staging_is_refused_and_dead_lettered(drive: Driver) -> None:
    drive.register()
    outcome = drive.approve("1")
    assert outcome.outcome == "rejected"
    assert "only a version in staging" in (outcome.error or "")
    assert drive.stage("1") == "testing"
    assert any("only a version in staging" in d["reason"] for d in drive.reactor.store.dead_letters())
    assert [r.environment for r in drive.cd.requests()] == []


def test_out_of_band_production_deployment_pages_and_changes_no_stage(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    outcome = drive.report("1", "production")
    assert "deployed to production while candidate" in (outcome.error or "")
    [page] = drive.notices("out_of_band")
    assert page.channel == "oncall"
    assert drive.stage("1") == "candidate"


def test_model_deployed_event_moves_the_stage_like_a_cd_report(drive: Driver) -> None:
    from shared.tools import synthetic

    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    event = synthetic.build(
        "model_deployed", drive.reactor.workspace_id, service="credit-risk-staging", model_ids="credit-risk:1"
    )
    [outcome] = drive.deliver(event)
    assert outcome.outcome == "handled"
    assert drive.stage("1") == "staging"


def test_failed_cd_deployment_pages_on_call(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging", status="failed")
    assert drive.stage("1") == "candidate"
    assert [n.template for n in drive.notices("deploy_failed")] == ["deploy_failed"]


def test_failed_offline_test_job_rejects_the_version_and_tells_owners_and_on_call(drive: Driver) -> None:
    registered, _ = drive.register()
    drive.finish("offline_test", status="Failed")
    assert drive.stage("1") == "rejected"
    assert {n.template for n in drive.notices()} == {"run_failed", "test_failed"}
    assert drive.cd.requests() == []
    retest = drive.reactor.handle(registered, force_reason="test data fixed")
    assert [a["kind"] for a in retest.actions] == ["submit_job", "tag_model"]
    assert drive.stage("1") == "testing"
    drive.finish("offline_test", auc=0.9, latency_ms=10)
    assert drive.stage("1") == "candidate"


def test_approver_not_named_by_the_policy_is_refused(drive: Driver) -> None:
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    outcome = drive.approve("1", by="mallory@x")
    assert outcome.outcome == "rejected" and "may not decide" in (outcome.error or "")
    assert drive.stage("1") == "staging"
    assert [r.environment for r in drive.cd.requests()] == ["staging"]


def test_result_before_the_registration_is_recorded_is_retried_not_dropped(drive: Driver) -> None:
    from shared.core.actions import SubmitJob
    from shared.core.errors import TransientError
    from shared.core.ports import JobRef

    drive.workspace.submit_job(
        SubmitJob(
            key="k",
            purpose="offline_test",
            job_file="pipelines/offline_test.yml",
            job_name="test-early",
            model="credit-risk",
            version="7",
        )
    )
    from shared.core.state import Commit, LedgerEntry

    job = JobRef(
        name="test-early",
        purpose="offline_test",
        model="credit-risk",
        version="7",
        event_id="e",
        submitted_at="2026-11-22T09:00:00+00:00",
    )
    entry = LedgerEntry(event_id="e", event_type="t", at="", outcome="handled")
    drive.reactor.store.commit(
        Commit(claim_id="e", occurrence=None, raw={}, ledger=entry, jobs=(job,)), drive.reactor.clock.now(), 60
    )
    early = synthetic.build("run_completed", drive.reactor.workspace_id, run_id="test-early")
    with pytest.raises(TransientError, match="before credit-risk:7 was recorded"):
        drive.reactor.handle(early)
    assert not drive.reactor.store.is_completed(early["id"])


def test_drift_retrains_and_the_new_version_goes_round_the_loop(drive: Driver) -> None:
    from shared.tools import synthetic

    drive.register()
    drive.to_production("1")
    [outcome] = drive.deliver(synthetic.build("monitor_breach", drive.reactor.workspace_id))
    assert [a["kind"] for a in outcome.actions] == ["submit_job", "notify"]
    retrain = drive.queued("retrain")
    assert (retrain["model"], retrain["job_file"]) == ("credit-risk", "pipelines/retrain.yml")
    outcomes = drive.finish("retrain")
    registered = [o for o in outcomes if o.type.endswith("ModelRegistered")]
    assert registered[0].outcome == "handled"
    assert drive.stage("2") == "testing"
    assert drive.queued("offline_test")["champion_version"] == "1"
    drive.finish("offline_test", auc=0.95, champion_auc=0.9, latency_ms=90)
    assert drive.stage("2") == "candidate"


def test_drift_respects_one_in_flight_and_the_cooldown(drive: Driver, clock: FixedClock) -> None:
    from shared.tools import synthetic

    def drift() -> str:
        [o] = drive.deliver(synthetic.build("dataset_drift", drive.reactor.workspace_id, monitor="credit-risk-monitor"))
        return "retrain" if any(a["kind"] == "submit_job" for a in o.actions) else " ".join(o.notes)

    assert drift() == "retrain"
    assert "already in flight" in drift()
    drive.finish("retrain")
    assert "cooling down" in drift()
    clock.advance(minutes=361)
    assert drift() == "retrain"
    assert len([j for j in drive.workspace.jobs() if j["purpose"] == "retrain"]) == 2


def test_drift_no_rule_maps_is_still_announced(drive: Driver) -> None:
    from shared.tools import synthetic

    [o] = drive.deliver(synthetic.build("dataset_drift", drive.reactor.workspace_id, monitor="orphan-monitor"))
    assert [a["kind"] for a in o.actions] == ["notify"]
    [notice] = drive.notices("drift")
    assert "no drift rule" in notice.facts["Retraining"]
    assert drive.workspace.jobs() == []


def test_monitor_breach_does_not_page_on_call_as_a_run_failure(drive: Driver) -> None:
    from tests.conftest import load_event

    drive.deliver(*load_event("monitor_breach.eventgrid.json"))
    assert drive.notices("run_failed") == []
    assert [n.template for n in drive.notices()] == ["drift"]
