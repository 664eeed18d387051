"""`LetterBlobs` on Azure Blob Storage (azure-storage-blob, imported on first use); Azurite locally.

A connection string (Azurite, or a key) or the account's blob URL with the managed identity. Errors become
`core/errors.py`'s: a missing container or blob is permanent, throttling, a 5xx or no connection transient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from shared.core.errors import PermanentError, TransientError
from shared.core.eventgrid_letters import BlobPage, BlobRef


class ContainerLike(Protocol):
    """What we use of azure.storage.blob.ContainerClient."""

    container_name: str

    def list_blobs(self, name_starts_with: str | None = None, include: Any = None, **kwargs: Any) -> Any: ...

    def download_blob(self, blob: str, **kwargs: Any) -> Any: ...

    def get_blob_client(self, blob: str) -> Any: ...


class BlobLetters:
    """Event Grid's dead-letter blobs in one container."""

    def __init__(self, container: ContainerLike) -> None:
        self.container = container

    @classmethod
    def from_connection_string(cls, connection: str, container: str) -> BlobLetters:
        from azure.storage.blob import ContainerClient

        return cls(ContainerClient.from_connection_string(connection, container))

    @classmethod
    def from_account_url(cls, account_url: str, credential: Any, container: str) -> BlobLetters:
        from azure.storage.blob import ContainerClient

        return cls(ContainerClient(account_url, container, credential=credential))

    def list(self, prefix: str, limit: int, cursor: str | None = None) -> BlobPage:
        with self._translated(f"listing blobs under {prefix or '/'!r}"):
            found = self.container.list_blobs(
                name_starts_with=prefix or None, include=["metadata"], results_per_page=limit
            )
            pages = found.by_page(continuation_token=cursor)
            blobs = [
                BlobRef(name=b.name, created=_iso(b.creation_time), metadata=dict(b.metadata or {}))
                for b in next(pages, [])
            ]
            return BlobPage(blobs=blobs, next=pages.continuation_token or None)

    def read(self, name: str) -> bytes:
        with self._translated(f"reading blob {name!r}"):
            data: bytes = self.container.download_blob(name).readall()
            return data

    def mark(self, name: str, metadata: Mapping[str, str]) -> None:
        with self._translated(f"marking blob {name!r}"):
            blob = self.container.get_blob_client(name)
            props = blob.get_blob_properties()
            blob.set_blob_metadata({**(props.metadata or {}), **metadata}, etag=props.etag, match_condition=_if_same())

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (PermanentError, TransientError):
            raise
        except Exception as exc:
            translated = _translate(exc, doing, self.container.container_name)
            if translated is exc:
                raise
            raise translated from exc


def _if_same() -> Any:
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified


def _iso(moment: Any) -> str:
    return moment.isoformat() if moment is not None else ""


def _translate(exc: Exception, doing: str, container: str) -> Exception:
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    where = f"{doing} in dead-letter container {container!r}"
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return TransientError(f"{where}: storage unreachable ({exc.__class__.__name__})")
    if isinstance(exc, HttpResponseError):
        code = exc.status_code or 0
        if code in (408, 409, 412, 429) or code >= 500:
            return TransientError(f"{where}: storage answered {code}; will retry")
        if code == 404:
            return PermanentError(f"{where}: not found (check REACTOR_DEADLETTER_CONTAINER and the blob name)")
        if code in (401, 403):
            return PermanentError(f"{where}: access denied ({code}): the identity needs Storage Blob Data Contributor")
        return PermanentError(f"{where}: storage answered {code}: {str(exc)[:200]}")
    return exc
