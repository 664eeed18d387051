"""Carry out one committed intent through the ports and say what happened; the engine records it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from shared.core.actions import (
    Action,
    CopyToRegistry,
    Notify,
    RequestApproval,
    ResetBudget,
    SaveSilence,
    ShiftTraffic,
    SubmitJob,
    TagModel,
    TriggerCD,
    action_from,
)
from shared.core.errors import GateViolation, PermanentError, TransientError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.ports import Deployer, Notifier, Store, Workspace
from shared.core.rollout_endpoints import Endpoints
from shared.core.silences import Silence
from shared.core.state import Intent, IntentStatus

log = logging.getLogger("mlops_reactor")
GROUPED_FACT = "Grouped since the last alert"


@dataclass(frozen=True, kw_only=True)
class Executor:
    """The ports an intent may touch; `run` is the only entry point."""

    workspace: Workspace
    deployer: Deployer
    notifier: Notifier
    approval_link_key: str | None = None
    store: Store | None = None  # for silences and retrain budgets (the state the guards keep)
    endpoints: Endpoints | None = None  # the azureml_endpoint CD targets' endpoints (rollout steps)

    def run(self, intent: Intent, records: Mapping[str, ModelVersionRecord], at: str) -> Intent:
        """The intent with its final status and result. TransientError: nothing recorded, the platform retries."""
        action = action_from(intent.action)
        if isinstance(action, TriggerCD) and intent.status is IntentStatus.UNANSWERED:
            return _unconfirmed(intent, action, at)
        if isinstance(action, Notify) and intent.earlier:
            action = replace(action, facts={**action.facts, GROUPED_FACT: str(intent.earlier)})
        try:
            detail = self._perform(action, records, at)
        except TransientError as exc:
            if isinstance(action, TriggerCD) and exc.maybe_done:
                raise Unanswered(
                    replace(intent, status=IntentStatus.UNANSWERED, result={"at": at, "error": str(exc)}), str(exc)
                ) from exc
            raise
        except PermanentError as exc:
            log.warning("action %s failed: %s", intent.key, exc)
            return replace(intent, status=IntentStatus.FAILED, result={"at": at, "error": str(exc)})
        if isinstance(action, CopyToRegistry) and intent.status is IntentStatus.UNANSWERED:
            detail = {**detail, "resumed": True}  # an interrupted attempt's copy, run again (engine/registry_order)
        return replace(intent, status=IntentStatus.DONE, result={"at": at, **detail})

    def _perform(self, action: Action, records: Mapping[str, ModelVersionRecord], at: str = "") -> dict[str, Any]:
        if isinstance(action, SaveSilence | ResetBudget | Notify) and self.store is not None:
            kept = keep_guard(self.store, action, at)
            if kept is not None:
                return kept
        if isinstance(action, SubmitJob):
            receipt = self.workspace.submit_job(action)
            return {"ref": receipt.ref, "url": receipt.url}
        if isinstance(action, TriggerCD):
            record = records.get(f"{action.model}:{action.version}")
            if action.environment == "production" and (record is None or record.stage is not Stage.APPROVED):
                raise GateViolation(f"refusing to send {action.model}:{action.version} to production: not approved")
            receipt = self.deployer.deploy(action)
            return {"ref": receipt.ref, "url": receipt.url}
        if isinstance(action, TagModel):
            self.workspace.set_model_tags(action.model, action.version, action.tags)
            return {}
        if isinstance(action, RequestApproval):
            for notice in approval_notices(action, self.approval_link_key):
                self.notifier.send(notice)
            return {}
        if isinstance(action, Notify):
            self.notifier.send(action)
            return {}
        if isinstance(action, CopyToRegistry):
            copied = self.workspace.share_to_registry(action.model, action.version, action.registry)
            ref = f"azureml://registries/{action.registry}/models/{action.model}/versions/{action.version}"
            return {"ref": ref, "copied": copied}
        if isinstance(action, ShiftTraffic):
            if self.endpoints is None:
                raise PermanentError(f"no online endpoints are configured for rollout step {action.key}")
            receipt = self.endpoints.shift(action, at)
            return {"ref": receipt.ref, "url": receipt.url}
        raise TypeError(f"no executor for {type(action).__name__}")


def keep_guard(store: Store, action: SaveSilence | ResetBudget | Notify, at: str) -> dict[str, Any] | None:
    """Silences and budgets are the store's to keep; a notice a silence still holds is recorded, not sent.

    None: nothing kept here (a notice whose silence ended meanwhile is sent after all).
    """
    if isinstance(action, SaveSilence):
        store.save_silence(Silence(**action.silence))
        return {}
    if isinstance(action, ResetBudget):
        store.reset_budget(action.model, action.at)
        return {}
    if action.silence and store.hold(action.silence, action.key, action.template, at):
        return {"silenced": action.silence}
    return None


class Unanswered(TransientError):
    """A CD request got no answer and may have been carried out: record that before the platform retries."""

    def __init__(self, intent: Intent, message: str) -> None:
        super().__init__(message, maybe_done=True)
        self.intent = intent


def _unconfirmed(intent: Intent, request: TriggerCD, at: str) -> Intent:
    """An earlier attempt got no answer and may have been carried out: never send it blindly again.

    The loop goes on as if it was (CD's own report confirms it); the outcome says what to check.
    """
    warning = (
        f"CD request for {request.model}:{request.version} to {request.environment} got no answer and "
        f"was not sent again: check the CD system for correlation id {request.key}; if it never ran, "
        "start it there"
    )
    return replace(intent, status=IntentStatus.UNCONFIRMED, result={"at": at, "error": warning})


def approval_notices(request: RequestApproval, link_key: str | None = None) -> list[Notify]:
    """The notices that ask for an approval, one per channel; the link carries the approvals function's key."""
    facts = {"Model": f"{request.model}:{request.version}", "Approvers": ", ".join(request.approvers) or "-"}
    facts.update(request.details)
    url = f"{request.url}?code={quote(link_key, safe='')}" if link_key else request.url
    return [
        Notify(
            key=f"{request.key}:{c}",
            channel=c,
            template="approval_requested",
            title=f"Approve {request.model}:{request.version} for production?",
            facts=facts,
            links={"Review and approve": url},
        )
        for c in request.channels
    ]
