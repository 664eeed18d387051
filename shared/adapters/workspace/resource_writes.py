"""ARM's ResourceWriteSuccess for an online endpoint or deployment, as the resource group's system topic sends it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

AZURE_CLI_APP = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"  # the Azure CLI's public client id
_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
_OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def resource_group_of(workspace_id: str) -> str:
    """The resource group's ARM id (the system topic's source) of a workspace's ARM id."""
    parts = workspace_id.split("/")
    return "/".join(parts[:5]) if len(parts) >= 5 else workspace_id


def caller_claims(name: str = "Jane Doe", upn: str = "jane@contoso.com", principal: str = "") -> dict[str, str]:
    """A person's token claims as ARM copies them into the event (name, UPN, the CLI's app id, object id)."""
    return {
        "aud": "https://management.core.windows.net/",
        "name": name,
        f"{_CLAIM}upn": upn,
        f"{_CLAIM}name": upn,
        "appid": AZURE_CLI_APP,
        _OID: principal or str(uuid.uuid5(uuid.NAMESPACE_URL, upn)),
    }


def resource_write_data(workspace_id: str, fields: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(resource URI, data) of a write to `endpoint` (and `deployment`, when given)."""
    endpoint, deployment = fields.get("endpoint", "credit-risk-prod"), fields.get("deployment", "")
    uri = fields.get("resource_uri") or (
        f"{workspace_id}/onlineEndpoints/{endpoint}" + (f"/deployments/{deployment}" if deployment else "")
    )
    kind = "onlineEndpoints/deployments" if deployment else "onlineEndpoints"
    action = f"Microsoft.MachineLearningServices/workspaces/{kind}/write"
    claims = fields.get("claims") or caller_claims(
        fields.get("writer", "Jane Doe"), fields.get("upn", "jane@contoso.com")
    )
    principal = claims.get(_OID, "") if isinstance(claims, Mapping) else ""
    subscription = workspace_id.split("/")[2] if workspace_id.count("/") >= 2 else ""
    data = {
        "authorization": {
            "scope": uri,
            "action": action,
            "evidence": {"role": "AzureML Data Scientist", "principalId": principal, "principalType": "User"},
        },
        "claims": claims,
        "correlationId": fields.get("correlation_id", str(uuid.uuid4())),
        "httpRequest": {
            "clientRequestId": str(uuid.uuid4()),
            "clientIpAddress": "203.0.113.7",
            "method": "PUT",
            "url": f"https://management.azure.com{uri}?api-version=2024-04-01",
        },
        "resourceProvider": "Microsoft.MachineLearningServices",
        "resourceUri": uri,
        "operationName": fields.get("operation", action),
        "status": "Succeeded",
        "subscriptionId": subscription,
        "tenantId": fields.get("tenant", "72f988bf-0000-0000-0000-000000000000"),
    }
    return uri, data
