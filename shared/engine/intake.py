"""Admit one event: parse it, and refuse what must not run (untrusted, replayed approvals, a misconfigured app)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core import events as ev
from shared.core.config_check import Problem, summary
from shared.core.errors import Misconfigured, UntrustedSource
from shared.core.resource_events import trusted
from shared.engine.outcome import Outcome, Result

REPLAYED_APPROVAL = (
    "approvals are a person's act: a stored approval is never applied again by replay; the approver "
    "decides on the approval page while the version is in staging"
)


def admit(
    raw: Mapping[str, Any],
    *,
    internal: bool,
    replayed: bool,
    workspace_id: str,
    problems: tuple[Problem, ...],
    also: tuple[str, ...] = (),
) -> ev.Event | Outcome:
    """The parsed event to run, or the outcome that ends it here. PermanentError: refused (a dead letter).

    `also`: the other workspaces the policy lists (dev / test / prd), trusted like the app's own.
    """
    if problems:
        raise Misconfigured(
            f"the app is misconfigured ({summary(problems)}); the event is kept: replay it by id "
            "once the configuration is fixed"
        )
    event = ev.parse(raw, internal=internal)
    if isinstance(event, ev.Ignored):
        return Outcome(id=event.id, type=event.type, outcome=Result.IGNORED, notes=(event.reason,))
    if replayed and isinstance(event, ev.ApprovalDecided):
        return Outcome(id=event.id, type=event.type, outcome=Result.IGNORED, notes=(REPLAYED_APPROVAL,))
    ours = isinstance(
        event, ev.DeploymentReported | ev.ApprovalDecided | ev.ApprovalExpired | ev.ApprovalRequested
    )  # parsed only when internal
    if isinstance(event, ev.EndpointWritten):  # from the resource group's topic: trust the written resource
        _trusted_write(event, workspace_id, also)
    elif not ours and event.source.lower() not in {w.lower() for w in (workspace_id, *also)}:
        others = [w for w in also if w.lower() != workspace_id.lower()]
        listed = f" nor a workspace of the policy ({', '.join(others)})" if others else ""
        raise UntrustedSource(f"event source {event.source!r} is not the configured workspace {workspace_id!r}{listed}")
    return event


def _trusted_write(event: ev.EndpointWritten, workspace_id: str, also: tuple[str, ...]) -> None:
    """A resource write is trusted when it lies under any trusted workspace; else the app workspace's refusal."""
    for other in also:
        try:
            trusted(event, other)
        except UntrustedSource:
            continue
        return
    trusted(event, workspace_id)
