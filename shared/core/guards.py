"""Pure decisions about silences and retrain budgets: set, end, hold back, reset; and the budget's one page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from shared.core import event_types as et
from shared.core.actions import Action, Notify, ResetBudget, SaveSilence
from shared.core.budget import Spent
from shared.core.plan import Context, Plan, notices_for
from shared.core.policy import DriftRule, Policy
from shared.core.silences import EXPIRY_TEMPLATE, Silence, holding, scope_of

REACTOR = "mlops-reactor"  # who ends a silence whose time passed


def hold_back(plan: Plan, ctx: Context) -> Plan:
    """The plan with each notice an active silence covers marked with that silence's id (keys unchanged)."""
    if not ctx.silences or not plan.actions:
        return plan
    actions: list[Action] = []
    for action in plan.actions:
        if isinstance(action, Notify) and (silence := holding(ctx.silences, action, ctx.now)) is not None:
            action = replace(action, silence=silence.id)
        actions.append(action)
    return replace(plan, actions=tuple(actions))


def on_silence_set(event: Any, ctx: Context, policy: Policy) -> Plan:
    """Keep the silence (once: the key names it), unless it is over already."""
    e: et.SilenceSet = event
    if ctx.silence is not None:
        state = f"ended at {ctx.silence.ended_at}" if ctx.silence.ended_at else "set"
        return Plan(ignored=f"silence {e.silence} is already {state}")
    if e.until <= ctx.now:
        return Plan(ignored=f"silence {e.silence} would end at {e.until.isoformat()}, which has passed")
    silence = Silence(
        id=e.silence,
        scope=scope_of(e.scope),
        pattern=e.pattern,
        starts=ctx.now.isoformat(),
        until=e.until.isoformat(),
        by=e.by,
        why=e.why,
        notify=e.notify,
    )
    note = f"{e.by} silenced {e.scope} {e.pattern!r} until {silence.until}: {e.why}"
    return Plan(actions=(SaveSilence(key=f"silence:{e.silence}:set", silence=asdict(silence)),), notes=(note,))


def on_silence_expired(event: Any, ctx: Context, policy: Policy) -> Plan:
    """End the silence (by its time, or a person) and say what it held back, once: both ends share the keys."""
    e: et.SilenceExpired = event
    silence = ctx.silence
    if silence is None:
        return Plan(ignored=f"no silence {e.silence}")
    if silence.ended_at is not None:
        return Plan(ignored=f"silence {e.silence} ended at {silence.ended_at} (by {silence.ended_by})")
    timed = e.by == REACTOR
    if timed and ctx.now < datetime.fromisoformat(silence.until):
        return Plan(ignored=f"silence {e.silence} runs until {silence.until}")
    ended = replace(silence, ended_at=ctx.now.isoformat(), ended_by=e.by)
    held = ", ".join(f"{n} {kind}" for kind, n in sorted(ctx.held.items())) or "nothing"
    facts = {
        "Silence": silence.id,
        "Scope": f"{silence.scope} {silence.pattern}",
        "Set by": silence.by,
        "Why": silence.why,
        "Ended": "its time passed" if timed else f"by {e.by}" + (f": {e.why}" if e.why else ""),
        "Held back": held,
        "Held back in all": str(sum(ctx.held.values())),
    }
    channels = (silence.notify,) if silence.notify else policy.oncall.channels
    title = f"Silence on {silence.scope} {silence.pattern} ended; it held back {held}"
    notice = notices_for(silence.id, channels, EXPIRY_TEMPLATE, title, facts)
    save = SaveSilence(key=f"silence:{silence.id}:end", silence=asdict(ended))
    return Plan(actions=(save, *notice), notes=(f"silence {silence.id} ended; held back {held}",))


def on_budget_reset(event: Any, ctx: Context, policy: Policy) -> Plan:
    """A person starts the model's retrain budget afresh (keyed by the reset it replaces: a retry is one reset)."""
    e: et.RetrainBudgetReset = event
    rule = next((r for r in policy.drift.rules if r.model == e.model), None)
    if rule is None:
        return Plan(ignored=f"no drift rule retrains {e.model}: it has no retrain budget")
    reset = ResetBudget(
        key=f"retrain_budget:{e.model}:reset:{ctx.budget_reset or 'never'}", model=e.model, at=ctx.now.isoformat()
    )
    facts = {"Model": e.model, "Reset by": e.by, "Why": e.why}
    notice = notices_for(
        reset.key,
        policy.monitor_channels(rule),
        "retrain_budget_reset",
        f"Retrain budget of {e.model} reset by {e.by}",
        facts,
    )
    return Plan(actions=(reset, *notice), notes=(f"retrain budget of {e.model} reset by {e.by}: {e.why}",))


def budget_exhausted(rule: DriftRule, used: Spent, policy: Policy, facts: Mapping[str, str]) -> Plan:
    """No retrain: page the owners once while this budget window lasts (keyed by the model and that window)."""
    budget = rule.retrain_budget
    allowed = f"{budget.max} in {budget.window_hours:g} h" if budget else "-"
    page = notices_for(
        f"{rule.model}:{used.oldest}",
        policy.monitor_channels(rule),
        "retrain_budget",
        f"Retrain budget of {rule.model} used up: drift did not retrain it",
        {
            **facts,
            "Model": rule.model,
            "Budget": allowed,
            "Retrains counted": str(used.count),
            "Retraining resumes": f"{used.frees_at.isoformat()}, or when a person resets the budget",
            "Owners": ", ".join(rule.owners) or "-",
        },
    )
    note = f"retrain budget of {rule.model} used up ({used.count} of {allowed}); resumes {used.frees_at.isoformat()}"
    return Plan(actions=page, notes=(note,))
