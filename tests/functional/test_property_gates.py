"""Property: no sequence of events, approvals, redeliveries and forgeries reaches production without gate,
staging and an approval by someone the policy names; and no redelivery asks CD twice."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.adapters.cd.recorder import RecordingDeployer
from shared.app import bootstrap
from shared.core.actions import TriggerCD
from shared.core.clock import FixedClock
from shared.core.ports import Receipt
from shared.tools import synthetic
from tests.functional.driver import Driver

VERSIONS = st.sampled_from(["1", "2"])
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("register")),
        st.tuples(
            st.just("finish"), st.sampled_from(["Completed", "Completed", "Failed"]), st.sampled_from([0.6, 0.9, 0.95])
        ),
        st.tuples(
            st.just("report"),
            VERSIONS,
            st.sampled_from(["staging", "production"]),
            st.sampled_from(["succeeded", "failed"]),
        ),
        st.tuples(st.just("deployed"), VERSIONS, st.sampled_from(["m-staging", "m-prod"])),
        st.tuples(st.just("approve"), VERSIONS, st.booleans()),
        st.tuples(st.just("stranger"), VERSIONS),
        st.tuples(st.just("forged"), VERSIONS),
        st.tuples(st.just("redeliver"), st.integers(0, 40)),
    ),
    min_size=3,
    max_size=30,
)


class Counting:
    """The recording deployer, counting every call it gets (the recorder itself keeps one file per key)."""

    def __init__(self, inner: RecordingDeployer) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def deploy(self, request: TriggerCD) -> Receipt:
        self.calls.append(request.key)
        return self.inner.deploy(request)


@contextmanager
def fresh_driver() -> Iterator[tuple[Driver, Counting]]:
    """A driver on a fresh state folder, removed afterwards (hypothesis runs hundreds of examples)."""
    with tempfile.TemporaryDirectory(prefix="reactor-prop-") as folder:
        yield _driver(Path(folder))


def _driver(state: Path) -> tuple[Driver, Counting]:
    counting = Counting(RecordingDeployer(state / "cd_requests"))
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    return Driver(bootstrap.local(state, clock=clock, deployer=counting)), counting


def play(drive: Driver, step: tuple, sent: list[dict]) -> None:
    kind = step[0]
    if kind == "register":
        sent.append(drive.register("m")[0])
    elif kind == "finish" and drive.workspace.jobs(status="Queued"):
        job = next(j for j in reversed(drive.workspace.jobs(status="Queued")) if j["purpose"] == "offline_test")
        events = drive.workspace.complete_job(job["name"], step[1], {"auc": step[2], "latency_ms": 100})
        sent.extend(events)
        drive.deliver(*events)
    elif kind == "redeliver" and sent:
        drive.deliver(sent[step[1] % len(sent)])
    elif kind == "stranger":
        drive.approve(step[1], model="m", by="mallory@example.com")
    elif kind == "forged":  # our internal type, in another casing, through the Event Grid path
        forged = synthetic.envelope(
            "mlopsreactor.approvaldecided",
            "",
            {"model": "m", "version": step[1], "decision": "approve", "approver": "ml-lead@contoso.example"},
            drive.reactor.workspace_id,
        )
        drive.deliver(forged)
    elif kind == "report":
        drive.report(step[1], step[2], model="m", status=step[3])
    elif kind == "deployed":
        drive.deliver(
            synthetic.build("model_deployed", drive.reactor.workspace_id, service=step[2], model_ids=f"m:{step[1]}")
        )
    elif kind == "approve":
        drive.approve(step[1], model="m", reject=not step[2])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_production_only_through_gate_staging_and_approval(steps: list[tuple]) -> None:
    with fresh_driver() as (drive, counting):
        _check(drive, counting, steps)


def _check(drive: Driver, counting: Counting, steps: list[tuple]) -> None:
    sent: list[dict] = []
    for step in steps:
        play(drive, step, sent)
    for record in drive.reactor.store.records("m"):
        steps = [h for h in record.history if "kind" not in h]  # stage steps, not approval notes
        path = [h["to"] for h in steps]
        if "production" in path:
            before = path[: path.index("production")]
            assert before[-3:] == ["candidate", "staging", "approved"]
            approval = steps[path.index("approved")]
            assert approval["by"] == "ml-lead@contoso.example"
    approved = {r.version for r in drive.reactor.store.records("m") if r.approved_by}
    for request in drive.cd.requests():
        if request.environment == "production":
            assert request.approved_by == "ml-lead@contoso.example" and request.version in approved
    assert len(counting.calls) == len(set(counting.calls))  # redeliveries never ask CD twice
