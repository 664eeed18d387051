"""Pure decisions, no I/O: what a plan contains for a given event, context and policy."""

from datetime import UTC, datetime

import pytest

from shared.app.settings import APP_ROOT
from shared.core import events as ev
from shared.core.actions import SubmitJob
from shared.core.decide import Context, decide
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.policy import load_policy, parse_policy
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID

POLICY = load_policy(APP_ROOT / "policy.yaml")
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def context(*records: ModelVersionRecord) -> Context:
    return Context(now=NOW, workspace_id="/ws", public_url="https://app", records={r.key: r for r in records})


def report(version: str, environment: str) -> ev.DeploymentReported:
    return ev.DeploymentReported(
        id="d", type=ev.DEPLOYMENT_REPORTED, source="/ws", model="m", version=version, environment=environment
    )


def test_a_half_written_promotion_is_finished_by_the_redelivery() -> None:
    new = ModelVersionRecord(model="m", version="2", stage=Stage.PRODUCTION, gate_passed=True, approved_by="a")
    old = ModelVersionRecord(model="m", version="1", stage=Stage.PRODUCTION, gate_passed=True, approved_by="a")
    plan = decide(report("2", "production"), context(new, old), POLICY)
    assert [(t.version, t.to) for t in plan.transitions] == [("1", Stage.SUPERSEDED)]
    assert plan.actions == ()


def test_a_repeated_report_of_a_settled_promotion_changes_nothing() -> None:
    new = ModelVersionRecord(model="m", version="2", stage=Stage.PRODUCTION, gate_passed=True, approved_by="a")
    plan = decide(report("2", "production"), context(new), POLICY)
    assert plan.ignored and not plan.transitions and not plan.actions


def test_promotion_supersedes_the_champion_and_tells_the_promoted_channel() -> None:
    approved = ModelVersionRecord(model="m", version="2", stage=Stage.APPROVED, gate_passed=True, approved_by="a")
    champion = ModelVersionRecord(model="m", version="1", stage=Stage.PRODUCTION, gate_passed=True, approved_by="a")
    plan = decide(report("2", "production"), context(approved, champion), POLICY)
    assert [(t.version, t.to) for t in plan.transitions] == [("2", Stage.PRODUCTION), ("1", Stage.SUPERSEDED)]
    assert [a.kind for a in plan.actions] == ["tag_model", "notify"]


def test_run_failure_pages_with_a_window_start_on_the_group_boundary() -> None:
    failed = ev.RunFinished(
        id="r", type=ev.RUN_STATUS_CHANGED, source="/ws", run_id="run 1/x", experiment="e", status="Failed"
    )
    [page] = decide(failed, context(), POLICY).actions
    assert page.window_start == "2026-11-22T09:00:00+00:00"
    assert page.links["Run in Azure ML studio"].startswith("https://ml.azure.com/runs/run%201%2Fx?")


@pytest.mark.parametrize(
    ("data_type", "override", "bound"),
    [
        ("mlflow_model", None, "mlflow_model"),  # the registered model says (ModelRegistered data)
        ("TRITON_MODEL", None, "triton_model"),
        (None, None, None),  # unknown here: the workspace reads it from the registered model
        ("not-a-type", None, None),
        ("mlflow_model", "custom_model", "custom_model"),  # the policy's explicit override wins
    ],
)
def test_the_test_job_binds_the_registered_models_type(
    data_type: str | None, override: str | None, bound: str | None
) -> None:
    document = POLICY.model_dump(mode="json")
    document["models"][0]["model_type"] = override
    raw = synthetic.build("model_registered", WORKSPACE_ID, model="fraud", version="3")
    if data_type is not None:
        raw["data"]["modelType"] = data_type
    plan = decide(ev.parse(raw), context(), parse_policy(document))
    [job] = [a for a in plan.actions if isinstance(a, SubmitJob)]
    assert job.model_type == bound
