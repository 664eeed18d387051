"""The composition root: build the reactor from settings, lazily, once per process; overrides for tests."""

from __future__ import annotations

import threading
from typing import Any

from shared.reactor import Reactor
from shared.settings import APP_ROOT, Settings

_lock = threading.Lock()
_cached: Reactor | None = None
_settings: Settings | None = None


def build(settings: Settings, **overrides: Any) -> Reactor:
    """A reactor on the adapters the settings select; keyword overrides replace any port."""
    from shared.policy import load_policy

    ports: dict[str, Any] = dict(overrides)
    if "policy" not in ports:
        ports["policy"] = load_policy(settings.policy_path)
    if settings.mode == "local":
        _local_ports(settings, ports)
    else:
        _azure_ports(settings, ports)
    if "clock" not in ports:
        from shared.clock import SystemClock

        ports["clock"] = SystemClock()
    return Reactor(workspace_id=settings.workspace_id, public_url=settings.public_url,
                   lease_seconds=settings.lease_seconds, **ports)


def _local_ports(settings: Settings, ports: dict[str, Any]) -> None:
    from shared.adapters.local_workspace import LocalWorkspace
    from shared.adapters.outbox import OutboxNotifier
    from shared.adapters.recording_deployer import RecordingDeployer
    from shared.adapters.sqlite_store import SqliteStore

    state = settings.state_dir
    ports.setdefault("store", SqliteStore(state / "reactor.db"))
    ports.setdefault("workspace", LocalWorkspace(state / "workspace.db", APP_ROOT, settings.workspace_id))
    ports.setdefault("deployer", RecordingDeployer(state / "cd_requests"))
    ports.setdefault("notifier", OutboxNotifier(state / "outbox"))


def _azure_ports(settings: Settings, ports: dict[str, Any]) -> None:
    missing = [p for p in ("store", "workspace", "deployer", "notifier") if p not in ports]
    if missing:
        from shared.errors import PermanentError

        raise PermanentError(f"REACTOR_MODE=azure: no Azure adapter yet for {', '.join(missing)}")


def settings() -> Settings:
    """The process-wide settings, read once."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def reactor() -> Reactor:
    """The process-wide reactor, built on first use from the environment."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = build(settings())
    return _cached


def reset(instance: Reactor | None = None) -> None:
    """Drop (or replace) the cached reactor: tests and the dev host use it after changing settings."""
    global _cached, _settings
    with _lock:
        _cached = instance
        _settings = None
