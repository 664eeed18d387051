"""Silences and retrain budgets, pure: which notice a silence holds, and the budget at the window's edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.core.actions import Notify
from shared.core.budget import spent
from shared.core.errors import InvalidEvent
from shared.core.events import parse
from shared.core.policy_sections import RetrainBudget
from shared.core.ports import JobRef
from shared.core.silences import Silence, holding, silence_id

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def silence(scope: str, pattern: str, **more: str) -> Silence:
    fields = {"starts": at(-1), "until": at(1), "by": "sre", "why": "maintenance", **more}
    return Silence(id=f"sil-{scope}-{pattern}", scope=scope, pattern=pattern, **fields)  # type: ignore[arg-type]


def notice(template: str = "run_failed", channel: str = "oncall", **facts: str) -> Notify:
    return Notify(key="k", channel=channel, template=template, title="t", facts=facts)


@pytest.mark.parametrize(
    ("scope", "pattern", "held", "free"),
    [
        ("experiment", "nightly-*", notice(Experiment="Nightly-ETL"), notice(Experiment="training")),
        ("channel", "oncall*", notice(channel="oncall-mail"), notice(channel="drift")),
        ("model", "credit-*", notice("verdict", Model="credit-risk:3"), notice("verdict", Model="churn:3")),
        ("model", "credit-risk:3", notice("verdict", Model="credit-risk:3"), notice("verdict", Model="credit-risk:4")),
        ("monitor", "credit-*", notice("drift", Monitor="credit-mon"), notice("drift", Monitor="churn-mon")),
        ("monitor", "credit-*", notice("monitor_failed", Experiment="credit-mon"), notice(Experiment="credit-mon")),
    ],
)
def test_a_silence_holds_what_its_scope_and_glob_match(scope: str, pattern: str, held: Notify, free: Notify) -> None:
    s = silence(scope, pattern)
    assert holding((s,), held, NOW) == s
    assert holding((s,), free, NOW) is None


def test_a_silence_holds_only_inside_its_time_box_and_until_ended() -> None:
    s = silence("channel", "oncall")
    n = notice()
    assert holding((s,), n, datetime.fromisoformat(at(-1))) == s  # from its start
    assert holding((s,), n, datetime.fromisoformat(at(1))) is None  # its end is exclusive
    assert holding((s,), n, datetime.fromisoformat(at(-2))) is None
    assert holding((replace(s, ended_at=at(0)),), n, NOW) is None


def test_the_expiry_notice_is_never_held_and_the_first_set_silence_wins() -> None:
    early, late = silence("channel", "*", starts=at(-2)), silence("channel", "oncall")
    assert holding((late, early), notice(), NOW) == early
    assert holding((early,), notice("silence_expired"), NOW) is None


def test_a_silence_id_comes_from_what_it_is() -> None:
    assert silence_id("channel", "OnCall", at(1), "SRE", "x") == silence_id("channel", "oncall", at(1), "sre", "x")
    assert silence_id("channel", "oncall", at(1), "sre", "x") != silence_id("channel", "oncall", at(2), "sre", "x")


def jobs(*hours_ago: float) -> list[JobRef]:
    return [
        JobRef(name=f"j{h}", purpose="retrain", model="m", version=None, event_id="e", submitted_at=at(-h))
        for h in hours_ago
    ]


BUDGET = RetrainBudget(max=2, window_hours=24)


def test_the_budget_counts_retrains_inside_the_window_only() -> None:
    assert spent(BUDGET, jobs(1), None, NOW) is None
    used = spent(BUDGET, jobs(1, 23.9), None, NOW)
    assert used is not None and used.count == 2 and used.frees_at == NOW + timedelta(hours=0.1)
    assert spent(BUDGET, jobs(1, 24), None, NOW) is None  # exactly a window ago: out
    assert spent(BUDGET, jobs(1, 25), None, NOW) is None


def test_the_oldest_counted_names_the_window_while_more_than_max_count() -> None:
    used = spent(BUDGET, jobs(1, 2, 3), None, NOW)
    assert used is not None and used.count == 3 and used.oldest == at(-2)  # when it leaves, one fits again


def test_a_reset_stops_earlier_retrains_counting() -> None:
    assert spent(BUDGET, jobs(1, 2), at(-1.5), NOW) is None
    assert spent(BUDGET, jobs(1, 2), at(-1), NOW) is None  # a retrain at the reset's instant does not count
    assert spent(BUDGET, jobs(1, 2), at(-3), NOW) is not None


def envelope(kind: str, **data: object) -> dict[str, object]:
    return {"specversion": "1.0", "id": "x", "type": f"MLOpsReactor.{kind}", "source": "ws", "data": data}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"scope": "team", "pattern": "*", "until": at(1), "by": "a", "why": "b", "silence": "s"}, "scope"),
        ({"scope": "channel", "pattern": "*", "until": "tomorrow", "by": "a", "why": "b", "silence": "s"}, "until"),
        ({"scope": "channel", "pattern": "*", "by": "a", "why": "b", "silence": "s"}, "until"),
        ({"scope": "channel", "pattern": "*", "until": at(1), "why": "b", "silence": "s"}, "by"),
        ({"scope": "channel", "pattern": "", "until": at(1), "by": "a", "why": "b", "silence": "s"}, "pattern"),
        ({"scope": "channel", "pattern": "*", "until": at(1), "by": "a", "silence": "s"}, "why"),
    ],
)
def test_a_bad_silence_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse(envelope("SilenceSet", **data), internal=True)
    assert caught.value.field == field


def test_silence_events_come_only_from_inside() -> None:
    raw = envelope("SilenceExpired", silence="s", by="a")
    assert type(parse(raw)).__name__ == "Ignored"
    assert type(parse(raw, internal=True)).__name__ == "SilenceExpired"
