"""The simulator's online endpoints: deployments with a model and traffic, written in or outside the loop."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.adapters.sqlite_file import ThreadConnections
from shared.adapters.workspace import payloads
from shared.core.endpoints import DeploymentModel, EndpointTraffic, model_version

SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoints (name TEXT PRIMARY KEY, tags TEXT NOT NULL, traffic TEXT NOT NULL,
                                      mirror TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployments (endpoint TEXT NOT NULL, name TEXT NOT NULL, model TEXT NOT NULL,
                                        PRIMARY KEY (endpoint, name));
"""


class LocalEndpoints:
    """Endpoints in the workspace's SQLite file; each write returns the ResourceWriteSuccess events ARM would send."""

    def __init__(self, db: ThreadConnections, workspace_id: str) -> None:
        self._db = db
        self.workspace_id = workspace_id
        db().executescript(SCHEMA)

    def endpoint_models(self, endpoint: str) -> EndpointTraffic | None:
        """What the endpoint serves: each deployment's model version, traffic and mirrored traffic."""
        db = self._db()
        row = db.execute("SELECT tags, traffic, mirror FROM endpoints WHERE name = ?", (endpoint,)).fetchone()
        if row is None:
            return None
        tags, traffic, mirror = (json.loads(v) for v in row)
        rows = db.execute("SELECT name, model FROM deployments WHERE endpoint = ? ORDER BY name", (endpoint,))
        deployments = tuple(
            _deployment(name, model_id, int(traffic.get(name, 0)), int(mirror.get(name, 0)))
            for name, model_id in rows.fetchall()
        )
        return EndpointTraffic(endpoint=endpoint, tags=tags, deployments=deployments)

    def write_deployment(
        self,
        endpoint: str,
        deployment: str,
        model_id: str,
        *,
        traffic: int | None = 100,
        tags: Mapping[str, str] | None = None,
        **caller: Any,
    ) -> list[dict[str, Any]]:
        """Create or update a deployment (and its endpoint); with `traffic`, give it that share (the rest to 0).

        `caller` sets who wrote it (writer=, upn=, or claims=). Returns the deployment's write event, then the
        endpoint's when its traffic changed, as `az ml online-deployment create --all-traffic` would cause.
        """
        db = self._db()
        if db.execute("SELECT 1 FROM endpoints WHERE name = ?", (endpoint,)).fetchone() is None:
            db.execute("INSERT INTO endpoints VALUES (?, ?, '{}', '{}')", (endpoint, json.dumps(dict(tags or {}))))
        db.execute("INSERT OR REPLACE INTO deployments VALUES (?, ?, ?)", (endpoint, deployment, model_id))
        events = [self._event(endpoint, deployment, caller)]
        if traffic is not None:
            events.append(self.set_traffic(endpoint, {deployment: traffic}, **caller))
        return events

    def set_traffic(self, endpoint: str, traffic: Mapping[str, int], **caller: Any) -> dict[str, Any]:
        """Set the endpoint's live traffic (deployments not named get 0); returns the endpoint's write event."""
        shares = {name: int(share) for name, share in traffic.items()}
        self._db().execute("UPDATE endpoints SET traffic = ? WHERE name = ?", (json.dumps(shares), endpoint))
        return self._event(endpoint, "", caller)

    def _event(self, endpoint: str, deployment: str, caller: Mapping[str, Any]) -> dict[str, Any]:
        fields = {**caller, "endpoint": endpoint, "deployment": deployment}
        return payloads.build("resource_write", self.workspace_id, **fields)


def _deployment(name: str, model_id: str, traffic: int, mirror: int) -> DeploymentModel:
    model, version = model_version(model_id)
    return DeploymentModel(
        deployment=name, model=model, version=version, traffic=traffic, mirror=mirror, model_id=model_id
    )
