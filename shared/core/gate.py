"""The offline-test gate: metric thresholds, then challenger against champion on the same test run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.core.policy import Gate


@dataclass(frozen=True)
class Verdict:
    """Whether the gate passed, and one line per check for people to read."""

    passed: bool
    checks: tuple[str, ...]


def evaluate(gate: Gate, metrics: Mapping[str, float]) -> Verdict:
    """Apply every threshold; a missing metric fails its check rather than passing silently."""
    checks: list[str] = []
    passed = True
    for bound in gate.thresholds:
        value = metrics.get(bound.metric)
        ok = value is not None
        if value is not None and bound.min is not None:
            ok = ok and value >= bound.min
        if value is not None and bound.max is not None:
            ok = ok and value <= bound.max
        limits = " and ".join(
            text
            for text in (
                None if bound.min is None else f">= {bound.min:g}",
                None if bound.max is None else f"<= {bound.max:g}",
            )
            if text
        )
        shown = "missing" if value is None else f"{value:g}"
        checks.append(f"{'PASS' if ok else 'FAIL'} {bound.metric} = {shown} (needs {limits})")
        passed = passed and ok
    if gate.primary_metric:
        ok, line = _against_champion(gate, metrics, gate.primary_metric)
        checks.append(line)
        passed = passed and ok
    return Verdict(passed, tuple(checks))


def _against_champion(gate: Gate, metrics: Mapping[str, float], name: str) -> tuple[bool, str]:
    challenger = metrics.get(name)
    champion = metrics.get(gate.champion_prefix + name)
    if challenger is None:
        return False, f"FAIL {name} missing: cannot compare with the champion"
    if champion is None:
        return True, f"PASS {name} = {challenger:g}: no champion to beat"
    sign = 1 if gate.higher_is_better else -1
    ok = sign * (challenger - champion) >= gate.champion_margin
    word = "above" if gate.higher_is_better else "below"
    return ok, (
        f"{'PASS' if ok else 'FAIL'} {name} = {challenger:g} vs champion {champion:g} "
        f"(needs {gate.champion_margin:g} {word})"
    )
