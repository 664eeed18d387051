"""A version's staging CD runs only after its registry copy: a failed copy holds the CD back (it fails too).

After an interrupted attempt the copy is run again (an existing registry version counts as copied); found
already there, the attempt got past it, so the CD that followed may have been sent: it is never sent blindly
again (unconfirmed, like any CD request whose answer was lost).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from shared.core.policy import Policy
from shared.core.rollout import Step, deployment_name
from shared.core.rollout_endpoints import DeploymentView
from shared.core.rollout_event import step_event
from shared.core.state import Intent, IntentStatus


def after_copy(intent: Intent, done: Sequence[Intent], at: str) -> Intent:
    """The intent to run: a CD held back by its version's failed copy (FAILED), in doubt (UNANSWERED), or as is."""
    action = intent.action
    if action.get("kind") != "trigger_cd":
        return intent
    copy = next((i for i in done if _copies(i, action.get("model"), action.get("version"))), None)
    if copy is None:
        return intent
    if copy.status is not IntentStatus.DONE:
        error = (
            f"CD of {action.get('model')}:{action.get('version')} to {action.get('environment')} not sent: "
            f"the registry copy failed ({copy.result.get('error', 'no answer')})"
        )
        return replace(intent, status=IntentStatus.FAILED, result={"at": at, "error": error, "held_by": copy.key})
    if copy.result.get("resumed") and not copy.result.get("copied"):
        return replace(intent, status=IntentStatus.UNANSWERED)
    return intent


def _copies(done: Intent, model: object, version: object) -> bool:
    """Whether an intent is the registry copy of this model version (a forced run's key has a suffix)."""
    action = done.action
    return action.get("kind") == "copy_to_registry" and (action.get("model"), action.get("version")) == (model, version)


def held_back(results: Iterable[Intent], policy: Policy, workspace_id: str, now: datetime) -> list[dict[str, Any]]:
    """The `failed` step events (on-call is paged, owners named) of the CD requests a failed copy held back.

    An azureml_endpoint target's are left out: its refused requests are paged already (engine/refused.py).
    """
    events = []
    for intent in results:
        action = intent.action
        if action.get("kind") != "trigger_cd" or not intent.result.get("held_by"):
            continue
        target = policy.cd_targets.get(str(action.get("target")))
        if target is not None and target.kind == "azureml_endpoint":
            continue
        model, version = str(action["model"]), str(action["version"])
        view = DeploymentView(
            name=deployment_name(model, version),
            model=model,
            version=version,
            environment=str(action["environment"]),
            state="refused",
        )
        step = Step(name="failed", target=str(action["target"]), deployment=view, reason=str(intent.result["error"]))
        events.append(step_event(step, workspace_id, now))
    return events
