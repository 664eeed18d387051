"""Pure decisions on rollout steps (MLOpsReactor.RolloutObserved): shift traffic, roll back, page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core.actions import Action, ShiftTraffic
from shared.core.event_types import RolloutObserved
from shared.core.lifecycle import Stage, Transition
from shared.core.plan import Context, Plan, champion_of, notices_for, page_oncall, stage_tag
from shared.core.policy import Policy
from shared.core.rollout import ROLLED_BACK

_STAGE_FOR = {"retire": Stage.PRODUCTION, "failed": None, "timeout": None, "rollback_failed": Stage.REJECTED}


def on_rollout(event: Any, ctx: Context, policy: Policy) -> Plan:
    """A step the rollout timer found due, checked against the version's stage as it is now."""
    e: RolloutObserved = event
    key = f"{e.model}:{e.version}"
    record = ctx.records.get(key)
    needed = _STAGE_FOR.get(e.step, Stage.APPROVED)
    if e.step in ("failed", "timeout"):
        needed = Stage.CANDIDATE if e.environment == "staging" else Stage.APPROVED
    if e.step == "cleanup" and record is not None and record.stage in (Stage.REJECTED, Stage.SUPERSEDED):
        needed = record.stage
    if record is None or record.stage is not needed:
        return Plan(ignored=f"{key} is {record.stage if record else 'unknown'}: rollout step {e.step} not applied")
    rule = policy.rule_for(e.model, record.tags)
    facts = {"Model": key, "Environment": e.environment, "Deployment": e.deployment, **_numbers(e.health)}
    owners = {"Owners": ", ".join(rule.owners) or "-"}
    if e.step in ("failed", "timeout", "rollback_failed"):
        what = {"failed": "failed", "timeout": "timed out", "rollback_failed": "could not be rolled back"}[e.step]
        title = f"Deployment of {key} to {e.environment} {what}"
        page = page_oncall(
            ctx, policy, f"rollout_{e.step}", title, {**facts, "Problem": e.reason, **owners}, {}, f"{e.step}:{key}"
        )
        return Plan(actions=page, notes=(f"{title}: {e.reason}; the rollout stops here",))
    shift = ShiftTraffic(
        key=f"rollout:{key}:{e.step}",
        target=e.target,
        model=e.model,
        version=e.version,
        step=e.step,
        deployment=e.deployment,
        traffic=dict(e.traffic),
        mirror=dict(e.mirror),
        delete=e.delete,
    )
    split = {"Traffic": _split(e.traffic) or "-", "Mirrored": _split(e.mirror) or "-"}
    if e.step != "rollback":
        notes = (f"rollout of {key}: {e.step} ({split['Traffic']}; mirrored {split['Mirrored']})",)
        return Plan(actions=(shift,), notes=notes)
    champion = champion_of(ctx, e.model)
    reason = f"{ROLLED_BACK}: {e.reason}"
    step = Transition(model=e.model, version=e.version, to=Stage.REJECTED, reason=reason)
    title = f"Rollout of {key} rolled back"
    facts = {**facts, "Breach": e.reason, "Champion": champion.key if champion else "-", **split, **owners}
    actions: tuple[Action, ...] = (shift, stage_tag(record, e.model, e.version, Stage.REJECTED))
    actions += page_oncall(ctx, policy, "rollout_rolled_back", title, facts, {}, f"rollback:{key}")
    actions += notices_for(key, rule.notify.verdict, "rollout_rolled_back", title, facts)
    return Plan(actions=actions, transitions=(step,), notes=(f"{title}: {e.reason}",))


def _split(shares: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {share}%" for name, share in shares.items())


def _numbers(health: Mapping[str, Any]) -> dict[str, str]:
    """The health a step was decided on, as notice facts."""
    if not health:
        return {}
    shown = {"Requests": f"{health.get('requests', 0):g}", "Errors (5xx)": f"{health.get('errors', 0):g}"}
    if health.get("latency_ms") is not None:
        shown[f"Latency {health.get('percentile', '')}".strip()] = f"{health['latency_ms']:g} ms"
    shown["Window"] = f"{health.get('since', '')} - {health.get('until', '')}"
    return shown
