"""`python -m shared demo --guardrails`: each guardrail's story, one after the other, each on a state of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.tools import (
    demo_approvals,
    demo_deadletters,
    demo_envs,
    demo_reconcile,
    demo_rollout,
    demo_silences,
    demo_watchdog,
)

Scenario = Callable[[Path, Callable[[str], None]], None]
SCENARIOS: dict[str, Scenario] = {
    "reconcile: what no event told (a job finished silently, a lost job, CD that never reported)": demo_reconcile.run,
    "approvals: four eyes, two of three, a new champion while waiting, expiry": demo_approvals.run,
    "silences and a retrain budget: a silenced storm, what it held back, a budget used up and reset": demo_silences.run,
    "rollout on an Azure ML endpoint (issue 14): a canary that passes, one rolled back": demo_rollout.run,
    "watchdog: a model version serving production outside the loop": demo_watchdog.run,
    "dead letters: ours and Event Grid's, listed and redriven": demo_deadletters.run,
    "dev / test / prd (issue 14): a dev version copied to the registry, staged in test, released in prd": demo_envs.run,
}


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """Every scenario in its own sub-folder of `state_dir`."""
    for number, (title, scenario) in enumerate(SCENARIOS.items(), start=1):
        out(f"== {number}/{len(SCENARIOS)} {title}")
        folder = state_dir / f"guardrail-{number}"
        folder.mkdir(parents=True, exist_ok=True)
        scenario(folder, out)
