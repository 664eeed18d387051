"""The gate: thresholds and champion margin; a missing metric fails rather than passes."""

from shared.core.gate import evaluate
from shared.core.policy import Gate, Threshold

GATE = Gate(
    thresholds=(Threshold(metric="auc", min=0.8), Threshold(metric="latency_ms", max=250)),
    primary_metric="auc",
    champion_margin=0.01,
)


def test_passes_when_every_threshold_holds_and_no_champion() -> None:
    verdict = evaluate(GATE, {"auc": 0.85, "latency_ms": 100})
    assert verdict.passed
    assert any("no champion" in c for c in verdict.checks)


def test_fails_below_a_minimum_and_says_which() -> None:
    verdict = evaluate(GATE, {"auc": 0.7, "latency_ms": 100})
    assert not verdict.passed
    assert "FAIL auc = 0.7 (needs >= 0.8)" in verdict.checks


def test_missing_metric_fails() -> None:
    verdict = evaluate(GATE, {"auc": 0.9})
    assert not verdict.passed
    assert "FAIL latency_ms = missing (needs <= 250)" in verdict.checks


def test_challenger_must_beat_champion_by_the_margin() -> None:
    assert not evaluate(GATE, {"auc": 0.905, "champion_auc": 0.9, "latency_ms": 1}).passed
    assert evaluate(GATE, {"auc": 0.91, "champion_auc": 0.9, "latency_ms": 1}).passed


def test_lower_is_better_inverts_the_comparison() -> None:
    gate = Gate(primary_metric="rmse", higher_is_better=False, champion_margin=0.1)
    assert evaluate(gate, {"rmse": 1.0, "champion_rmse": 1.2}).passed
    assert not evaluate(gate, {"rmse": 1.15, "champion_rmse": 1.2}).passed


def test_a_missing_primary_metric_fails_even_without_thresholds() -> None:
    gate = Gate(primary_metric="auc", champion_margin=0.0)
    verdict = evaluate(gate, {"latency_ms": 1})
    assert not verdict.passed and "missing" in verdict.checks[-1]
