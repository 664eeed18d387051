"""The embedded online endpoints: a simulator of Azure ML managed online endpoints in a SQLite file.

It provisions a deployment on the first look after it was asked for (or as a test scripts it: failed,
still creating), applies traffic steps like the endpoint would, and answers health as scripted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.adapters.cd.common import require_approval
from shared.adapters.sqlite_file import ThreadConnections
from shared.core.actions import ShiftTraffic, TriggerCD
from shared.core.errors import UpstreamRejected
from shared.core.placement import HOME, Placement
from shared.core.policy_sections import CdTarget
from shared.core.ports import Receipt
from shared.core.rollout import deployment_name
from shared.core.rollout_endpoints import (
    TAG_STEP,
    TAG_STEP_AT,
    DeploymentView,
    EndpointView,
    Health,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoints (target TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deployments (target TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
                                        PRIMARY KEY (target, name));
CREATE TABLE IF NOT EXISTS scripts (name TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shifts (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
"""
HEALTHY = {"requests": 600.0, "errors": 0.0, "latency_ms": 42.0}


class LocalEndpoints:
    """The `azureml_endpoint` targets' endpoints, simulated; `script` sets how a deployment behaves."""

    def __init__(
        self,
        path: Path,
        targets: Mapping[str, CdTarget],
        now: Any = None,
        placements: Mapping[str, Placement] | None = None,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.targets, self.placements = dict(targets), dict(placements or {})
        self._now = now or _utcnow
        self._db = ThreadConnections(path)
        self._db().executescript(_SCHEMA)

    def deploy(self, request: TriggerCD) -> Receipt:
        """Ask for the deployment (state `creating`); a scripted refusal (quota) raises like ARM would."""
        require_approval(request, "the local endpoint")
        target = self._target(request.target)
        name = deployment_name(request.model, request.version)
        script = self._script(name)
        if script.get("refuse"):
            raise UpstreamRejected(str(script["refuse"]))
        body = {
            "model": request.model,
            "version": request.version,
            "environment": request.environment,
            "state": "creating",
            "requested_at": self._now().isoformat(),
            "instance_type": target.instance_type,
            "instance_count": target.instance_count,
            **self._where(request),
        }
        db = self._db()
        db.execute("INSERT OR IGNORE INTO endpoints VALUES (?, ?)", (request.target, json.dumps(_empty())))
        db.execute("INSERT OR REPLACE INTO deployments VALUES (?, ?, ?)", (request.target, name, json.dumps(body)))
        return Receipt(ref=f"{target.endpoint}/{name}")

    def view(self, target: str) -> EndpointView:
        """The endpoint now; deployments asked for are provisioned (or fail) as scripted."""
        self._target(target)
        db = self._db()
        row = db.execute("SELECT body FROM endpoints WHERE target = ?", (target,)).fetchone()
        endpoint = json.loads(row[0]) if row else _empty()
        views = []
        for name, text in db.execute("SELECT name, body FROM deployments WHERE target = ?", (target,)).fetchall():
            body = json.loads(text)
            if body["state"] == "creating":
                script = self._script(name)
                body.update(state=script.get("state", "succeeded"), error=script.get("error", ""))
                db.execute(
                    "UPDATE deployments SET body = ? WHERE target = ? AND name = ?", (json.dumps(body), target, name)
                )
            views.append(
                DeploymentView(
                    name=name,
                    model=body["model"],
                    version=body["version"],
                    environment=body["environment"],
                    state=body["state"],
                    requested_at=body["requested_at"],
                    error=body.get("error", ""),
                )
            )
        return EndpointView(
            target=target,
            endpoint=self.targets[target].endpoint or target,
            traffic=endpoint["traffic"],
            mirror=endpoint["mirror"],
            tags=endpoint["tags"],
            deployments=tuple(views),
        )

    def shift(self, step: ShiftTraffic, at: str) -> Receipt:
        """Set traffic and mirror with the step's tags, then delete the old deployments; refusals as scripted."""
        script = self._script(f"shift:{step.step}")
        if script.get("refuse"):
            raise UpstreamRejected(str(script["refuse"]))
        db = self._db()
        row = db.execute("SELECT body FROM endpoints WHERE target = ?", (step.target,)).fetchone()
        if row and json.loads(row[0])["tags"].get(TAG_STEP) == f"{step.deployment}:{step.step}":
            return Receipt(ref=f"{self.targets[step.target].endpoint}:{step.step}")  # applied before a crash
        names = {n for (n,) in db.execute("SELECT name FROM deployments WHERE target = ?", (step.target,))}
        traffic = {n: t for n, t in step.traffic.items() if t}  # like the SDK: zero shares are dropped
        unknown = sorted((set(traffic) | set(step.mirror)) - names)
        if unknown or sum(traffic.values()) not in (0, 100):
            raise UpstreamRejected(f"traffic {dict(step.traffic)} must name deployments of the endpoint and sum to 100")
        tags = {TAG_STEP: f"{step.deployment}:{step.step}", TAG_STEP_AT: at}
        body = {"traffic": traffic, "mirror": {n: t for n, t in step.mirror.items() if t}, "tags": tags}
        db.execute("INSERT OR REPLACE INTO endpoints VALUES (?, ?)", (step.target, json.dumps(body)))
        for name in step.delete:
            db.execute("DELETE FROM deployments WHERE target = ? AND name = ?", (step.target, name))
        db.execute("INSERT INTO shifts (body) VALUES (?)", (json.dumps({**step.describe(), "at": at}),))
        return Receipt(ref=f"{self.targets[step.target].endpoint}:{step.step}")

    def health(self, target: str, deployment: str, since: datetime, until: datetime) -> Health:
        """The scripted health of a deployment (healthy unless told otherwise)."""
        found = {**HEALTHY, **self._script(f"health:{deployment}")}
        return Health(
            requests=float(found["requests"]),
            errors=float(found["errors"]),
            latency_ms=found.get("latency_ms"),
            percentile=self.targets[target].rollout.latency_percentile,
            since=since.isoformat(),
            until=until.isoformat(),
        )

    def deployments(self, target: str) -> dict[str, dict[str, Any]]:
        """The deployments on a target's endpoint as asked for, by name: model reference, workspace, state."""
        rows = self._db().execute("SELECT name, body FROM deployments WHERE target = ?", (target,)).fetchall()
        return {name: json.loads(body) for name, body in rows}

    def _where(self, request: TriggerCD) -> dict[str, str]:
        """Which workspace the deployment is in (its environment, "" for the app's) and how it names the model."""
        placed = self.placements.get(request.target, HOME)
        return {
            "workspace": placed.workspace_id,
            "workspace_env": placed.environment or "",
            "model_ref": placed.model_ref(request.model, request.version),
        }

    def script(self, name: str, **behaviour: Any) -> None:
        """How a deployment (by name), a step (`shift:<step>`) or a health read (`health:<deployment>`) behaves."""
        self._db().execute("INSERT OR REPLACE INTO scripts VALUES (?, ?)", (name, json.dumps(behaviour)))

    def shifts(self) -> list[dict[str, Any]]:
        """Every traffic step applied, oldest first."""
        return [json.loads(b) for (b,) in self._db().execute("SELECT body FROM shifts ORDER BY seq")]

    def _script(self, name: str) -> dict[str, Any]:
        row = self._db().execute("SELECT body FROM scripts WHERE name = ?", (name,)).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def _target(self, name: str) -> CdTarget:
        target = self.targets.get(name)
        if target is None or target.kind != "azureml_endpoint":
            raise UpstreamRejected(f"CD target {name!r} is not an azureml_endpoint target of the policy")
        return target


def _empty() -> dict[str, Any]:
    return {"traffic": {}, "mirror": {}, "tags": {}}


def _utcnow() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)
