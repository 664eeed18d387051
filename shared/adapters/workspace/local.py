"""The embedded Workspace: a simulator that records jobs and models, and can finish jobs like Azure ML would."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.sqlite_file import ThreadConnections
from shared.adapters.workspace import payloads
from shared.core.actions import SubmitJob
from shared.core.endpoints import DeploymentModel, EndpointTraffic, model_version
from shared.core.errors import UpstreamRejected
from shared.core.ports import JobStatus, Receipt

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (name TEXT NOT NULL, version TEXT NOT NULL, tags TEXT NOT NULL,
                                   PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS creators (name TEXT NOT NULL, version TEXT NOT NULL, created_by TEXT NOT NULL,
                                     PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS endpoints (name TEXT PRIMARY KEY, tags TEXT NOT NULL, traffic TEXT NOT NULL,
                                      mirror TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registry_models (registry TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
                                            PRIMARY KEY (registry, name, version));
CREATE TABLE IF NOT EXISTS deployments (endpoint TEXT NOT NULL, name TEXT NOT NULL, model TEXT NOT NULL,
                                        PRIMARY KEY (endpoint, name));
"""


class LocalWorkspace:
    """Jobs and models in a SQLite file; `complete_job` returns the events Azure ML would emit."""

    def __init__(self, path: Path, app_root: Path, workspace_id: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.app_root = app_root
        self.workspace_id = workspace_id
        self._db = ThreadConnections(path)
        self._db().executescript(_SCHEMA)
        self.endpoints = LocalEndpoints(self._db, workspace_id)  # write_deployment, set_traffic: outside the loop
        self.registry_error: str | None = None  # set by a test: the registry refuses every copy with this reason

    def submit_job(self, job: SubmitJob) -> Receipt:
        if not (self.app_root / job.job_file).is_file():
            raise UpstreamRejected(f"job file {job.job_file} not found under {self.app_root}: check the policy")
        body = {
            "name": job.job_name,
            "purpose": job.purpose,
            "model": job.model,
            "version": job.version,
            "champion_version": job.champion_version,
            "job_file": job.job_file,
            "status": "Queued",
            "tags": dict(job.tags),
            "metrics": {},
            "experiment": f"mlops-reactor-{job.purpose}",
        }
        self._db().execute("INSERT OR IGNORE INTO jobs VALUES (?, ?)", (job.job_name, json.dumps(body)))
        return Receipt(ref=job.job_name, url=f"local://jobs/{job.job_name}")

    def job(self, name: str) -> dict[str, Any]:
        """One recorded job."""
        row = self._db().execute("SELECT body FROM jobs WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UpstreamRejected(f"job {name} does not exist in the local workspace")
        body: dict[str, Any] = json.loads(row[0])
        return body

    def jobs(self, status: str | None = None) -> list[dict[str, Any]]:
        """Every recorded job, optionally only those with a status."""
        rows = self._db().execute("SELECT body FROM jobs ORDER BY rowid").fetchall()
        found = [json.loads(r[0]) for r in rows]
        return [j for j in found if status is None or j["status"] == status]

    def job_metrics(self, job_name: str) -> dict[str, float]:
        return {k: float(v) for k, v in self.job(job_name)["metrics"].items()}

    def job_status(self, name: str) -> JobStatus | None:
        row = self._db().execute("SELECT body FROM jobs WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        body = json.loads(row[0])
        return JobStatus(status=str(body["status"]), experiment=str(body.get("experiment") or ""))

    def lose_job(self, name: str) -> None:
        """Forget a job, as if it was deleted from the workspace (reconcile reports it lost)."""
        self._db().execute("DELETE FROM jobs WHERE name = ?", (name,))

    def set_model_tags(self, model: str, version: str, tags: Mapping[str, str]) -> None:
        db = self._db()
        row = db.execute("SELECT tags FROM models WHERE name = ? AND version = ?", (model, str(version))).fetchone()
        merged = {**(json.loads(row[0]) if row else {}), **tags}
        db.execute("INSERT OR REPLACE INTO models VALUES (?, ?, ?)", (model, str(version), json.dumps(merged)))

    def model_tags(self, model: str, version: str) -> dict[str, str]:
        """A model version's tags."""
        row = (
            self._db()
            .execute("SELECT tags FROM models WHERE name = ? AND version = ?", (model, str(version)))
            .fetchone()
        )
        return json.loads(row[0]) if row else {}

    def model_creator(self, model: str, version: str) -> str | None:
        row = self._db().execute("SELECT created_by FROM creators WHERE name = ? AND version = ?", (model, version))
        found = row.fetchone()
        return str(found[0]) if found else None

    def share_to_registry(self, model: str, version: str, registry: str) -> bool:
        if self.registry_error:
            raise UpstreamRejected(f"copying {model}:{version} to registry {registry}: {self.registry_error}")
        if not self._registered(model, version):
            raise UpstreamRejected(f"model {model}:{version} is not registered in the local workspace")
        row = (registry, model, str(version))
        return self._db().execute("INSERT OR IGNORE INTO registry_models VALUES (?, ?, ?)", row).rowcount == 1

    def registry_models(self, registry: str) -> list[tuple[str, str]]:
        """The model versions a registry holds (name, version), in the order they were copied."""
        query = "SELECT name, version FROM registry_models WHERE registry = ? ORDER BY rowid"
        return [(str(n), str(v)) for n, v in self._db().execute(query, (registry,)).fetchall()]

    def _registered(self, model: str, version: str) -> bool:
        query = "SELECT 1 FROM models WHERE name = ? AND version = ?"
        return self._db().execute(query, (model, str(version))).fetchone() is not None

    def register_model(
        self, model: str, tags: Mapping[str, str] | None = None, created_by: str | None = None
    ) -> dict[str, Any]:
        """Register the next version of a model (by `created_by`, as the workspace records it); its event."""
        db = self._db()
        query = "SELECT MAX(CAST(version AS INTEGER)) FROM models WHERE name = ?"
        latest = db.execute(query, (model,)).fetchone()[0] or 0
        version = latest + 1
        row = (model, str(version), json.dumps(dict(tags or {})))
        db.execute("INSERT INTO models VALUES (?, ?, ?)", row)
        if created_by:
            db.execute("INSERT INTO creators VALUES (?, ?, ?)", (model, str(version), created_by))
        return payloads.build(
            "model_registered", self.workspace_id, model=model, version=str(version), tags=dict(tags or {})
        )

    def complete_job(
        self, name: str, status: str = "Completed", metrics: Mapping[str, float] | None = None, *, emit: bool = True
    ) -> list[dict[str, Any]]:
        """Finish a job; returns the events Azure ML would emit (and a registration, for a retrain).

        `emit=False`: the job finished but Event Grid sent nothing (a dropped delivery): no events come back.
        """
        job = self.job(name)
        job.update(status=status, metrics=dict(metrics or {}), finished_at=datetime.now(UTC).isoformat())
        self._db().execute("UPDATE jobs SET body = ? WHERE name = ?", (json.dumps(job), name))
        if not emit:
            return []
        fields = {"run_id": name, "experiment": job["experiment"], "tags": job["tags"], "status": status}
        kind = "run_completed" if status == "Completed" else "run_status_changed"
        emitted = [payloads.build(kind, self.workspace_id, **fields)]
        if status == "Completed":
            emitted.append(payloads.build("run_status_changed", self.workspace_id, **fields))
            if job["purpose"] == "retrain":
                emitted.append(self.register_model(job["model"], {"mlops_reactor_retrained_by": name}))
        return emitted

    def endpoint_models(self, endpoint: str, workspace_id: str = "") -> EndpointTraffic | None:
        return self.endpoints.endpoint_models(endpoint)  # the simulator stands in for every listed workspace


class LocalEndpoints:
    """Endpoints in the workspace's SQLite file; each write returns the ResourceWriteSuccess events ARM would send."""

    def __init__(self, db: ThreadConnections, workspace_id: str) -> None:
        self._db = db
        self.workspace_id = workspace_id

    def endpoint_models(self, endpoint: str) -> EndpointTraffic | None:
        """What the endpoint serves: each deployment with live or mirrored traffic, and its model version."""
        db = self._db()
        row = db.execute("SELECT tags, traffic, mirror FROM endpoints WHERE name = ?", (endpoint,)).fetchone()
        if row is None:
            return None
        tags, traffic, mirror = (json.loads(v) for v in row)
        rows = db.execute("SELECT name, model FROM deployments WHERE endpoint = ? ORDER BY name", (endpoint,))
        shares = ((name, model_id, int(traffic.get(name, 0)), int(mirror.get(name, 0))) for name, model_id in rows)
        deployments = tuple(_deployment(*d) for d in shares if d[2] > 0 or d[3] > 0)
        return EndpointTraffic(endpoint=endpoint, tags=tags, deployments=deployments)

    def write_deployment(
        self,
        endpoint: str,
        deployment: str,
        model_id: str,
        *,
        traffic: int | None = 100,
        tags: Mapping[str, str] | None = None,
        caller: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Create or update a deployment (and its endpoint); with `traffic`, give it that share (the rest to 0).

        `caller` says who wrote it ({writer, upn} or {claims}). Returns the deployment's write event, then the
        endpoint's when its traffic changed, as `az ml online-deployment create --all-traffic` would cause.
        """
        db = self._db()
        if db.execute("SELECT 1 FROM endpoints WHERE name = ?", (endpoint,)).fetchone() is None:
            db.execute("INSERT INTO endpoints VALUES (?, ?, '{}', '{}')", (endpoint, json.dumps(dict(tags or {}))))
        db.execute("INSERT OR REPLACE INTO deployments VALUES (?, ?, ?)", (endpoint, deployment, model_id))
        events = [self._event(endpoint, deployment, caller or {})]
        if traffic is not None:
            events.append(self.set_traffic(endpoint, {deployment: traffic}, caller))
        return events

    def set_traffic(
        self,
        endpoint: str,
        traffic: Mapping[str, int],
        caller: Mapping[str, Any] | None = None,
        mirror: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Set the endpoint's live (and mirrored) traffic, deployments not named get 0; returns its write event."""
        shares, copies = (json.dumps({k: int(v) for k, v in m.items()}) for m in (traffic, mirror or {}))
        updated = self._db().execute(
            "UPDATE endpoints SET traffic = ?, mirror = ? WHERE name = ?", (shares, copies, endpoint)
        )
        if updated.rowcount == 0:
            raise UpstreamRejected(f"online endpoint {endpoint} does not exist in the local workspace")
        return self._event(endpoint, "", caller or {})

    def _event(self, endpoint: str, deployment: str, caller: Mapping[str, Any]) -> dict[str, Any]:
        fields = {**caller, "endpoint": endpoint, "deployment": deployment}
        return payloads.build("resource_write", self.workspace_id, **fields)


def _deployment(name: str, model_id: str, traffic: int, mirror: int) -> DeploymentModel:
    model, version = model_version(model_id)
    return DeploymentModel(
        deployment=name, model=model, version=version, traffic=traffic, mirror=mirror, model_id=model_id
    )
