"""One `MLClient` per workspace the azureml_endpoint targets deploy in, and one per registry: made on first use.

The clients are kept (a few: one per listed workspace and the registry), the least recently used dropped past
`limit`, so a policy reload that names other workspaces cannot grow the cache without bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from shared.core.errors import UpstreamRejected
from shared.core.links import workspace_arm_id, workspace_scope

Scope = tuple[str, str, str]  # subscription, resource group, workspace name


class WorkspaceClients:
    """The app's workspace's client, those of other workspaces by ARM id, and registry-scoped clients by name."""

    def __init__(
        self,
        home: Scope,
        workspace: Callable[[Scope], Any],
        registry: Callable[[str], Any],
        limit: int = 8,
    ) -> None:
        self.home, self.home_id = home, workspace_arm_id(*home)
        self._make_workspace, self._make_registry, self._limit = workspace, registry, max(2, limit)
        self._kept: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def workspace(self, workspace_id: str = "") -> Any:
        """The client of a workspace by ARM id ("": the app's own)."""
        scope = scope_of(workspace_id) if workspace_id else self.home
        return self._kept_or_made(f"ws:{workspace_arm_id(*scope).lower()}", lambda: self._make_workspace(scope))

    def registry(self, name: str) -> Any:
        """A client scoped to an Azure ML registry (reads its model versions)."""
        return self._kept_or_made(f"registry:{name.lower()}", lambda: self._make_registry(name))

    def resource_id(self, workspace_id: str = "") -> str:
        """The ARM id of a workspace ("": the app's own)."""
        return workspace_id.rstrip("/") if workspace_id else self.home_id

    def _kept_or_made(self, key: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        made = make()  # outside the lock: building a client may read a token or discover a registry
        with self._lock:
            made = self._kept.setdefault(key, made)
            self._kept.move_to_end(key)
            while len(self._kept) > self._limit:
                self._kept.popitem(last=False)
        return made


def managed_identity_clients(
    home: Scope, client_id: str, given: Mapping[str, Any]
) -> tuple[WorkspaceClients, Callable[[], Any]]:
    """The clients as the managed identity, and its credential (made once, on first use). Tests hand in `client`
    (the app's workspace), `clients(scope)`, `registry_client(name)` and `credential`."""
    from shared.adapters.identity import azure_credential

    credentials: list[Any] = [given["credential"]] if given.get("credential") else []

    def credential() -> Any:
        if not credentials:
            credentials.append(azure_credential(client_id or None))
        return credentials[0]

    def workspace_client(scope: Scope) -> Any:
        if given.get("clients") is not None:
            return given["clients"](scope)
        if given.get("client") is not None and scope == home:
            return given["client"]
        from azure.ai.ml import MLClient

        # no progress output in the host's logs; throttling is retried briefly, then the timer looks again
        return MLClient(credential(), *scope, show_progress=False, retry_total=2, retry_backoff_max=4)

    def registry_client(name: str) -> Any:
        if given.get("registry_client") is not None:
            return given["registry_client"](name)
        from azure.ai.ml import MLClient

        return MLClient(credential(), registry_name=name, show_progress=False, retry_total=2, retry_backoff_max=4)

    return WorkspaceClients(home, workspace_client, registry_client), credential


def scope_of(workspace_id: str) -> Scope:
    """(subscription, resource group, workspace) of a workspace's ARM id."""
    scope = workspace_scope(workspace_id)
    if scope is None:
        raise UpstreamRejected(f"{workspace_id!r} is not an Azure ML workspace's ARM id")
    return scope
