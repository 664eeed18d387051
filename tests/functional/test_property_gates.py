"""Property: no sequence of events and approvals reaches production without gate, staging and approval."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import bootstrap, synthetic
from shared.clock import FixedClock
from shared.settings import Settings
from tests.functional.driver import Driver

VERSIONS = st.sampled_from(["1", "2"])
STEPS = st.lists(st.one_of(
    st.tuples(st.just("register")),
    st.tuples(st.just("finish"), st.sampled_from(["Completed", "Completed", "Failed"]),
              st.sampled_from([0.6, 0.9, 0.95])),
    st.tuples(st.just("report"), VERSIONS, st.sampled_from(["staging", "production"]),
              st.sampled_from(["succeeded", "failed"])),
    st.tuples(st.just("deployed"), VERSIONS, st.sampled_from(["m-staging", "m-prod"])),
    st.tuples(st.just("approve"), VERSIONS, st.booleans()),
), min_size=3, max_size=30)


def fresh_driver() -> Driver:
    state = Path(tempfile.mkdtemp(prefix="reactor-prop-"))
    env = {"REACTOR_MODE": "local", "REACTOR_STATE_DIR": str(state)}
    return Driver(bootstrap.build(Settings.from_env(env), clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC))))


def play(drive: Driver, step: tuple) -> None:
    kind = step[0]
    if kind == "register":
        drive.register("m")
    elif kind == "finish" and drive.workspace.jobs(status="Queued"):
        drive.finish("offline_test", step[1], auc=step[2], latency_ms=100)
    elif kind == "report":
        drive.report(step[1], step[2], model="m", status=step[3])
    elif kind == "deployed":
        drive.deliver(synthetic.build("model_deployed", drive.reactor.workspace_id, service=step[2],
                                      model_ids=f"m:{step[1]}"))
    elif kind == "approve":
        drive.approve(step[1], model="m", reject=not step[2])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_production_only_through_gate_staging_and_approval(steps: list[tuple]) -> None:
    drive = fresh_driver()
    for step in steps:
        play(drive, step)
    for record in drive.reactor.store.records("m"):
        path = [h["to"] for h in record.history]
        if "production" in path:
            before = path[: path.index("production")]
            assert before[-3:] == ["candidate", "staging", "approved"]
            approval = record.history[path.index("approved")]
            assert approval["by"]
    approved = {r.version for r in drive.reactor.store.records("m") if r.approved_by}
    for request in drive.cd.requests():
        if request.environment == "production":
            assert request.approved_by and request.version in approved
