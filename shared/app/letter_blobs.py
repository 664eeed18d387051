"""Event Grid's dead-letter container from settings (azure-storage-blob loads on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.adapters.identity import azure_credential
from shared.app.settings import (
    AZURE_CLIENT_ID,
    DEADLETTER_BLOB_URL,
    DEADLETTER_CONNECTION,
    DEADLETTER_CONTAINER,
    WEBJOBS_STORAGE,
    Settings,
)
from shared.core.errors import Misconfigured

if TYPE_CHECKING:
    from shared.adapters.deadletter.blob import BlobLetters
    from shared.adapters.deadletter.folder import FolderLetters

DEFAULT_CONTAINER = "eventgrid-deadletter"  # infra/app/core.bicep's dead-letter container


def letter_blobs(settings: Settings) -> BlobLetters | FolderLetters:
    """REACTOR_DEADLETTER_CONNECTION, else REACTOR_DEADLETTER_BLOB_URL + managed identity, else (local mode) the
    folder `<state dir>/<container>`, else AzureWebJobsStorage."""
    from shared.adapters.deadletter.blob import BlobLetters
    from shared.adapters.deadletter.folder import FolderLetters

    env = settings.env
    container = env.get(DEADLETTER_CONTAINER) or DEFAULT_CONTAINER
    if env.get(DEADLETTER_CONNECTION):
        return BlobLetters.from_connection_string(env[DEADLETTER_CONNECTION], container)
    if env.get(DEADLETTER_BLOB_URL):
        credential = azure_credential(env.get(AZURE_CLIENT_ID))
        return BlobLetters.from_account_url(env[DEADLETTER_BLOB_URL], credential, container)
    if settings.mode == "local":
        return FolderLetters(settings.state_dir / container)
    if "=" in (env.get(WEBJOBS_STORAGE) or ""):
        return BlobLetters.from_connection_string(env[WEBJOBS_STORAGE], container)
    raise Misconfigured(
        f"Event Grid's dead letters need {DEADLETTER_CONNECTION}, {DEADLETTER_BLOB_URL} or {WEBJOBS_STORAGE} "
        f"(a connection string), and {DEADLETTER_CONTAINER} (default {DEFAULT_CONTAINER})"
    )
