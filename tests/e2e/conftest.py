"""The real dev host, serving function_app over real HTTP on a free port, with its state in a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devhost.functions import load_app
from devhost.keys import Keys, load_keys
from devhost.server import DevHost, bind, route_prefix, start_in_thread
from shared.adapters.workspace.local import LocalWorkspace
from shared.app import bootstrap
from shared.app import settings as names
from shared.app.settings import APP_ROOT, Settings
from shared.tools.client import HostClient, HostKeys

_CLEARED = (
    names.SUBSCRIPTION,
    names.RESOURCE_GROUP,
    names.WORKSPACE,
    names.POLICY,
    names.FUNCTION_KEY,
    names.EVENTGRID_KEY,
    names.HOST_URL,
    names.PUBLIC_URL,
)


@dataclass
class Host:
    """A running dev host and what a test needs to talk to it."""

    url: str
    keys: Keys
    state: Path
    client: HostClient

    @property
    def settings(self) -> Settings:
        """The settings the host runs with."""
        return bootstrap.settings()

    @property
    def workspace(self) -> LocalWorkspace:
        """The host's Azure ML simulator, opened from its state folder as the demo does."""
        return LocalWorkspace(self.state / "workspace.db", APP_ROOT, self.settings.workspace_id)

    def register(self, model: str = "credit-risk") -> dict[str, Any]:
        """The next version of `model` is registered and its event delivered; returns the event."""
        event = self.workspace.register_model(model)
        assert self.client.deliver([event]).status_code == 202
        return event

    def finish_test(self, **metrics: float) -> None:
        """The newest queued offline test completes with `metrics`; its events are delivered."""
        job = [j for j in self.workspace.jobs(status="Queued") if j["purpose"] == "offline_test"][-1]
        for event in self.workspace.complete_job(job["name"], "Completed", metrics):
            assert self.client.deliver([event]).status_code == 202

    def report(self, model: str, version: str, environment: str) -> None:
        """CD reports a successful deployment."""
        body = {"model": model, "version": version, "environment": environment, "status": "succeeded"}
        assert self.client.api("POST", "deployments", body).status_code == 200

    def record(self, model: str, version: str) -> dict[str, Any]:
        """A model version's lifecycle record, read through the ledger API."""
        answer = self.client.api("GET", f"ledger/models/{model}/{version}")
        assert answer.status_code == 200
        records: list[dict[str, Any]] = answer.json()["records"]
        assert len(records) == 1
        return records[0]


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Host]:
    """function_app served by the dev host in this process, local mode, generated keys."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    state = tmp_path / "state"
    monkeypatch.setenv(names.MODE, "local")
    monkeypatch.setenv(names.STATE_DIR, str(state))
    keys = load_keys(Settings.from_env())
    server = bind(DevHost(load_app(APP_ROOT), keys, route_prefix(APP_ROOT)))
    url = f"http://127.0.0.1:{server.port}"
    monkeypatch.setenv(names.PUBLIC_URL, url)
    bootstrap.reset()
    running = start_in_thread(server)
    try:
        yield Host(url=url, keys=keys, state=state, client=HostClient(url, HostKeys(keys.function, keys.eventgrid)))
    finally:
        running.stop()
        bootstrap.reset()
