"""Azure Resource Manager's ResourceWriteSuccess, for online endpoints and their deployments: parse and trust."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.core import event_fields as f
from shared.core.errors import InvalidEvent, UntrustedSource
from shared.core.event_types import EndpointWritten, Event, Ignored

_ENDPOINT = re.compile(
    r"^(?P<workspace>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices"
    r"/workspaces/[^/]+)/onlineEndpoints/(?P<endpoint>[^/]+)(?:/deployments/(?P<deployment>[^/]+))?/?$",
    re.IGNORECASE,
)
_NAME_CLAIMS = ("name", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")
_UPN_CLAIMS = ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "upn", "unique_name")
_APP_CLAIMS = ("appid", "azp")
_PRINCIPAL_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")


def endpoint_written(base: dict[str, Any], data: Mapping[str, Any]) -> Event:
    """A write to an online endpoint or deployment; any other resource write is ignored with the reason."""
    uri = f.text(data, "resourceuri", "data.resourceUri")
    operation = f.text(data, "operationname", "data.operationName")
    claims = _claims(data.get("claims"))
    principal = _principal(data.get("authorization"))
    correlation = data.get("correlationid") or ""
    if not isinstance(correlation, str):
        raise InvalidEvent("data.correlationId", "a string", correlation)
    match = _ENDPOINT.match(uri)
    if match is None:
        return Ignored(**base, reason=f"resource write of {uri[:300]}: not an Azure ML online endpoint or deployment")
    for part, name in (("endpoint", "data.resourceUri (endpoint name)"), ("deployment", "data.resourceUri")):
        if match[part] is not None and not f.NAME.match(match[part]):
            raise InvalidEvent(name, "an endpoint and deployment of letters, digits, '_', '.', '-'", uri)
    return EndpointWritten(
        **base,
        workspace=match["workspace"],
        endpoint=match["endpoint"],
        deployment=match["deployment"] or "",
        resource_uri=uri,
        operation=operation[:200],
        writer=writer(claims, principal),
        correlation_id=correlation.strip()[:100],
    )


def trusted(event: EndpointWritten, workspace_id: str) -> None:
    """Refuse a write outside the configured workspace: the topic is its resource group (or subscription).

    UntrustedSource names what was written and where, so a misrouted subscription is visible as a dead letter.
    """
    scope = event.source.rstrip("/").lower()
    if not scope or not (workspace_id.lower() + "/").startswith(scope + "/"):
        raise UntrustedSource(
            f"resource write from topic {event.source!r}: not the resource group of the configured workspace "
            f"{workspace_id!r}"
        )
    if event.workspace.lower() != workspace_id.lower():
        raise UntrustedSource(
            f"resource write of {event.resource_uri!r}: not an endpoint of the configured workspace {workspace_id!r}"
        )


def writer(claims: Mapping[str, str], principal: str = "") -> str:
    """Who made the call, from the caller's token claims: name and UPN, else the app id; with the principal id."""
    name = _first(claims, _NAME_CLAIMS)
    upn = _first(claims, _UPN_CLAIMS)
    app = _first(claims, _APP_CLAIMS)
    oid = _first(claims, _PRINCIPAL_CLAIMS) or principal
    who = " ".join(p for p in (name, f"<{upn}>" if upn and upn != name else "") if p)
    ids = ", ".join(p for p in (f"app {app}" if app else "", f"principal {oid}" if oid else "") if p)
    text = f"{who} ({ids})" if who and ids else who or ids
    return text[:300] or "unknown (the event carries no caller claims)"


def _first(claims: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((claims[n].strip() for n in names if claims.get(n, "").strip()), "")


def _claims(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent("data.claims", "an object of claims", value)
    return {str(k).lower(): v if isinstance(v, str) else str(v) for k, v in value.items() if v is not None}


def _principal(value: Any) -> str:
    """authorization.evidence.principalId, when the caller's claims carry no object id."""
    if value is None:
        return ""
    if not isinstance(value, Mapping):
        raise InvalidEvent("data.authorization", "an object", value)
    evidence = {str(k).lower(): v for k, v in value.items()}.get("evidence")
    if not isinstance(evidence, Mapping):
        return ""
    found = {str(k).lower(): v for k, v in evidence.items()}.get("principalid")
    return found.strip() if isinstance(found, str) else ""
