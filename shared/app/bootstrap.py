"""The composition root: build the reactor from settings, lazily, once per process; overrides for tests."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from shared.app.settings import APP_ROOT, APPROVAL_LINK_KEY, MODE, STATE_DIR, Settings
from shared.core.config_check import Problem, problems_for_mode, summary
from shared.core.errors import PolicyError
from shared.core.setting_names import APPINSIGHTS
from shared.engine.reactor import Reactor

log = logging.getLogger("mlops_reactor")
_lock = threading.Lock()
_cached: Reactor | None = None
_settings: Settings | None = None
_problems: tuple[Problem, ...] | None = None
_reported: set[str] = set()  # problem summaries already logged by this process


def build(settings: Settings, **overrides: Any) -> Reactor:
    """A reactor on the adapters the settings select; keyword overrides replace any port."""
    from shared.core.policy import load_policy

    ports: dict[str, Any] = dict(overrides)
    telemetry = ports.pop("telemetry", None) or _telemetry(settings)
    if "policy" not in ports:
        ports["policy"] = load_policy(settings.policy_path)
    ports.setdefault("problems", _logged(problems_for_mode(ports["policy"], settings.mode, settings.workspace_id)))
    if settings.mode == "local":
        _local_ports(settings, ports)
    else:
        _azure_ports(settings, ports)
    if "clock" not in ports:
        from shared.core.clock import SystemClock

        ports["clock"] = SystemClock()
    from shared.app.endpoints import with_endpoints

    with_endpoints(settings, ports)
    if telemetry is not None:
        _traced(ports, telemetry)
    return Reactor(
        workspace_id=settings.workspace_id,
        public_url=settings.public_url,
        lease_seconds=settings.lease_seconds,
        window_cache_size=settings.cache_entries,
        approval_link_key=settings.secret(APPROVAL_LINK_KEY),
        observer=None if telemetry is None else telemetry.observe,
        **ports,
    )


def _telemetry(settings: Settings) -> Any:
    """Application Insights telemetry when its connection string is set (the SDK loads only then)."""
    if not settings.env.get(APPINSIGHTS):
        return None
    from shared.adapters.telemetry import configure

    return configure(settings.env)


def _traced(ports: dict[str, Any], telemetry: Any) -> None:
    """Wrap the ports that call the world so each call is a child span of its event."""
    from shared.adapters.telemetry import TracedDeployer, TracedNotifier, TracedWorkspace

    ports["workspace"] = TracedWorkspace(ports["workspace"], telemetry)
    ports["deployer"] = TracedDeployer(ports["deployer"], telemetry)
    ports["notifier"] = TracedNotifier(ports["notifier"], telemetry)


def swept(outcomes: list[Any]) -> None:
    """Tell telemetry (if on) how many stalled events a sweep finished."""
    observer = reactor().observer
    telemetry = getattr(observer, "__self__", None)
    if telemetry is not None:
        telemetry.swept(outcomes)


def apply_retention() -> dict[str, int] | None:
    """REACTOR_RETENTION_DAYS applied (the sweep timer asks; the work is done once a day): what was deleted, or None
    when history is kept forever (the default) or today's run is done."""
    days = settings().retention_days
    if days is None:
        return None
    from shared.engine import retention

    built = reactor()
    return retention.prune_expired(built.store, built.clock.now(), days)


def local_settings(state_dir: Path, **env: str) -> Settings:
    """Local mode on a state folder: what the demo, the bench and the tests run the app on in process."""
    return Settings.from_env({MODE: "local", STATE_DIR: str(state_dir), **env})


def local(state_dir: Path, **overrides: Any) -> Reactor:
    """The whole app in process on the embedded adapters, its state in `state_dir`; overrides replace ports."""
    return build(local_settings(state_dir), **overrides)


def _local_ports(settings: Settings, ports: dict[str, Any]) -> None:
    from shared.adapters.cd.recorder import RecordingDeployer
    from shared.adapters.notify.outbox import OutboxNotifier
    from shared.adapters.store.sqlite import SqliteStore
    from shared.adapters.workspace.local import LocalWorkspace

    state = settings.state_dir
    ports.setdefault("store", SqliteStore(state / "reactor.db"))
    ports.setdefault("workspace", LocalWorkspace(state / "workspace.db", APP_ROOT, settings.workspace_id))
    ports.setdefault("deployer", RecordingDeployer(state / "cd_requests"))
    ports.setdefault("notifier", OutboxNotifier(state / "outbox"))


def _azure_ports(settings: Settings, ports: dict[str, Any]) -> None:
    """Azure ML, Table Storage, the policy's CD targets and channels; each SDK loads on first use."""
    if "store" not in ports:
        from shared.app.azure import table_store

        ports["store"] = table_store(settings)
    if "workspace" not in ports:
        from shared.app.azure import azureml_workspace

        ports["workspace"] = azureml_workspace(settings)
    if "deployer" not in ports:
        from shared.app.deployers import build_deployer

        ports["deployer"] = build_deployer(settings, ports["policy"])
    if "notifier" not in ports:
        from shared.app.notifiers import build_notifier

        ports["notifier"] = build_notifier(settings, ports["policy"])


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


def warm() -> bool:
    """A new instance's warm-up: build the reactor, and let the workspace load what its first event would
    (azure-ai-ml and the policy's job files). False when the workspace has nothing to load (local mode)."""
    built = reactor()
    warm_up = getattr(built.workspace, "warm_up", None)
    if warm_up is None:
        return False
    policy = built.policy
    warm_up(sorted({r.test_job for r in policy.models} | {r.retrain_job for r in policy.drift.rules}))
    return True


def problems() -> tuple[Problem, ...]:
    """The process's configuration problems (for /api/health), found once without building any adapter."""
    global _problems
    if _cached is not None:
        return _cached.problems
    if _problems is None:
        from shared.core.policy import load_policy

        current = settings()
        try:
            found = problems_for_mode(load_policy(current.policy_path), current.mode, current.workspace_id)
        except PolicyError as exc:
            found = (Problem(path=current.policy_path.name, reason=str(exc).replace(str(APP_ROOT) + "/", "")),)
        _problems = _logged(found)
    return _problems


def _logged(found: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """Log configuration problems once per process (health and the first event find the same ones)."""
    text = summary(found)
    if found and text not in _reported:
        _reported.add(text)
        log.error("configuration problems; events are kept as dead letters until fixed: %s", text)
    return found


def reset(instance: Reactor | None = None) -> None:
    """Drop (or replace) the cached reactor: tests and the dev host use it after changing settings."""
    global _cached, _settings, _problems
    with _lock:
        _cached = instance
        _settings = None
        _problems = None
        _reported.clear()
