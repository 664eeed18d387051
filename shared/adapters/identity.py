"""The one Azure credential every Azure adapter uses: DefaultAzureCredential (the managed identity in Azure)."""

from __future__ import annotations

from typing import Any


def azure_credential(client_id: str | None = None) -> Any:
    """DefaultAzureCredential, for a user-assigned managed identity when `client_id` is given (azure-identity, lazy)."""
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(**({"managed_identity_client_id": client_id} if client_id else {}))
