"""The Azure adapters built from settings: the Table store and the Azure ML workspace (SDKs load on first use)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.app.settings import (
    APP_ROOT,
    AZURE_CLIENT_ID,
    MLFLOW_TRACKING_URI,
    STORAGE_CONNECTION,
    STORAGE_TABLE_URL,
    TABLE_PREFIX,
    WEBJOBS_STORAGE,
    Settings,
)

if TYPE_CHECKING:
    from shared.adapters.store.table.store import TableStore
    from shared.adapters.workspace.azureml.metrics import TrackingClient
    from shared.adapters.workspace.azureml.workspace import AzureMLWorkspace, MLClientSlice


def azureml_workspace(
    settings: Settings, *, client: MLClientSlice | None = None, tracking: Callable[[], TrackingClient] | None = None
) -> AzureMLWorkspace:
    """The configured workspace, as the app's identity; tests hand in a fake client and tracking."""
    from shared.adapters.workspace.azureml.workspace import AzureMLWorkspace, WorkspaceTarget

    target = WorkspaceTarget(
        subscription_id=settings.subscription_id,
        resource_group=settings.resource_group,
        workspace_name=settings.workspace_name,
        client_id=settings.env.get(AZURE_CLIENT_ID) or "",
        tracking_uri=settings.env.get(MLFLOW_TRACKING_URI) or "",
    )
    return AzureMLWorkspace(target, APP_ROOT, client=client, tracking=tracking)


def table_store(settings: Settings) -> TableStore:
    """REACTOR_STORAGE_CONNECTION, else REACTOR_STORAGE_TABLE_URL + managed identity, else AzureWebJobsStorage."""
    from shared.adapters.store.table.store import AZURITE, TableStore

    env, prefix, entries = settings.env, settings.env.get(TABLE_PREFIX) or "reactor", settings.cache_entries
    if env.get(STORAGE_CONNECTION):
        return TableStore.from_connection_string(env[STORAGE_CONNECTION], prefix, cache_entries=entries)
    if env.get(STORAGE_TABLE_URL):
        from shared.adapters.identity import azure_credential

        credential = azure_credential(env.get(AZURE_CLIENT_ID))
        return TableStore.from_endpoint(env[STORAGE_TABLE_URL], credential, prefix, cache_entries=entries)
    if env.get(WEBJOBS_STORAGE) and "=" in env[WEBJOBS_STORAGE]:
        value = env[WEBJOBS_STORAGE]
        connection = AZURITE if value == "UseDevelopmentStorage=true" else value
        return TableStore.from_connection_string(connection, prefix, cache_entries=entries)
    raise ValueError(f"the Table store needs {STORAGE_CONNECTION}, {STORAGE_TABLE_URL} or {WEBJOBS_STORAGE}")
