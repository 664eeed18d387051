"""Carry out one planned action through the ports, exactly once per key, and report what happened."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from shared.core import events as ev
from shared.core.actions import Action, Notify, RequestApproval, SubmitJob, TagModel, TriggerCD
from shared.core.errors import GateViolation, PermanentError, TransientError
from shared.core.lifecycle import ModelVersionRecord, Stage
from shared.core.ports import Deployer, JobRef, Notifier, Store, Workspace

log = logging.getLogger("mlops_reactor")


@dataclass(frozen=True, kw_only=True)
class Executor:
    """The ports an action may touch; `run` is the only entry point."""

    store: Store
    workspace: Workspace
    deployer: Deployer
    notifier: Notifier
    approval_link_key: str | None = None

    def run(self, event: ev.Event, action: Action, records: Mapping[str, ModelVersionRecord],
                     at: str) -> dict[str, Any]:
        view = action.describe()
        if isinstance(action, Notify) and action.group:
            grouped = self._open_window(action, at)
            if grouped is None:
                return {**view, "status": "grouped"}
            action = grouped
        if self.store.effect_done(action.key):
            return {**view, "status": "already_done"}
        if isinstance(action, TriggerCD) and self.store.effect_done(f"{action.key}#unanswered"):
            return self._unconfirmed(action, view, at)
        try:
            detail = self._perform(event, action, records, at)
        except TransientError as exc:
            if isinstance(action, TriggerCD) and exc.maybe_done:
                self.store.record_effect(f"{action.key}#unanswered", {"at": at, "error": str(exc)})
            raise
        except PermanentError as exc:
            log.warning("action %s failed: %s", action.key, exc)
            return {**view, "status": "failed", "error": str(exc)}
        self.store.record_effect(action.key, {"at": at, **detail})
        return {**view, "status": "done", **detail}

    def _open_window(self, notice: Notify, at: str) -> Notify | None:
        """The notice to send if it owns its group's window (opened now, or on an earlier, failed delivery)."""
        earlier = self.store.open_window(window_group(notice), notice.window_start or at, notice.key)
        if earlier is None:
            return None
        if not earlier:
            return notice
        return replace(notice, facts={**notice.facts, "Grouped since the last alert": str(earlier)})

    def _unconfirmed(self, request: TriggerCD, view: dict[str, Any], at: str) -> dict[str, Any]:
        """An earlier attempt got no answer and may have been carried out: never send it blindly again.

        The loop goes on as if it was (CD's own report confirms it); the outcome says what to check.
        """
        warning = (f"CD request for {request.model}:{request.version} to {request.environment} got no answer and "
                   f"was not sent again: check the CD system for correlation id {request.key}; if it never ran, "
                   "start it there")
        self.store.record_effect(request.key, {"at": at, "unconfirmed": True})
        return {**view, "status": "unconfirmed", "error": warning}

    def _perform(self, event: ev.Event, action: Action, records: Mapping[str, ModelVersionRecord],
                 at: str) -> dict[str, Any]:
        if isinstance(action, SubmitJob):
            receipt = self.workspace.submit_job(action)
            self.store.save_job(JobRef(name=action.job_name, purpose=action.purpose, model=action.model,
                                       version=action.version, event_id=event.id, submitted_at=at))
            return {"ref": receipt.ref, "url": receipt.url}
        if isinstance(action, TriggerCD):
            record = records.get(f"{action.model}:{action.version}") or self.store.get_record(
                action.model, action.version)
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
        raise TypeError(f"no executor for {type(action).__name__}")

def window_group(notice: Notify) -> str:
    """The alert group a notice counts in: per channel, so each channel hears of a storm once."""
    return f"{notice.channel}:{notice.group}"


def approval_notices(request: RequestApproval, link_key: str | None = None) -> list[Notify]:
    """The notices that ask for an approval, one per channel; the link carries the approvals function's key."""
    facts = {"Model": f"{request.model}:{request.version}", "Approvers": ", ".join(request.approvers) or "-"}
    url = f"{request.url}?code={quote(link_key, safe='')}" if link_key else request.url
    return [Notify(key=f"{request.key}:{c}", channel=c, template="approval_requested",
                   title=f"Approve {request.model}:{request.version} for production?", facts=facts,
                   links={"Review and approve": url}) for c in request.channels]


