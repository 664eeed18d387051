"""Settings.from_env: the only reader of the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.core.links import workspace_arm_id as workspace_arm_id
from shared.core.setting_names import *  # noqa: F403  (the names, re-exported: one place to look)
from shared.core.setting_names import (
    AUTH_ENABLED,
    CACHE_ENTRIES,
    HOSTNAME,
    LEASE_SECONDS,
    MAX_BODY_BYTES,
    MODE,
    POLICY,
    PUBLIC_URL,
    RESOURCE_GROUP,
    RETENTION_DAYS,
    STATE_DIR,
    SUBSCRIPTION,
    WORKSPACE,
    flag,
)

APP_ROOT = Path(__file__).resolve().parents[2]

LOCAL_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
LOCAL_RESOURCE_GROUP = "local-rg"
LOCAL_WORKSPACE = "local-ws"


def _public_url(env: Mapping[str, str]) -> str:
    """REACTOR_PUBLIC_URL, else the app's own host name in Azure (WEBSITE_HOSTNAME), else the local host."""
    if env.get(PUBLIC_URL):
        return env[PUBLIC_URL].rstrip("/")
    host = env.get(HOSTNAME)
    return f"https://{host}" if host else "http://localhost:7071"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the app reads from its environment (app settings in Azure)."""

    mode: str
    subscription_id: str
    resource_group: str
    workspace_name: str
    policy_path: Path
    state_dir: Path
    public_url: str
    lease_seconds: int
    env: Mapping[str, str]
    max_body_bytes: int = 1 << 20
    cache_entries: int = 4096  # per cache, per process: bounded memory however long the process lives
    retention_days: int | None = None  # None: history is kept; else the sweep prunes what is older, once a day

    @property
    def workspace_id(self) -> str:
        """The trusted workspace's ARM id."""
        return workspace_arm_id(self.subscription_id, self.resource_group, self.workspace_name)

    @property
    def platform_sign_in(self) -> bool:
        """Whether App Service Authentication fronts the app, so its principal headers can be trusted."""
        return flag(self.env.get(AUTH_ENABLED))

    def secret(self, name: str) -> str | None:
        """An app setting named by the policy (e.g. a webhook URL); never logged."""
        return self.env.get(name) or None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build from the process environment (or a given mapping, for tests)."""
        env = dict(os.environ if env is None else env)
        has_azure = all(env.get(k) for k in (SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE))
        mode = (env.get(MODE) or ("azure" if has_azure else "local")).lower()
        if mode not in ("local", "azure"):
            raise ValueError(f"{MODE} must be 'local' or 'azure' (got {mode!r})")
        if mode == "azure" and not has_azure:
            missing = [k for k in (SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE) if not env.get(k)]
            raise ValueError(f"{MODE}=azure needs {', '.join(missing)}")
        policy = Path(env.get(POLICY) or APP_ROOT / "policy.yaml")
        return cls(
            mode=mode,
            subscription_id=env.get(SUBSCRIPTION) or LOCAL_SUBSCRIPTION,
            resource_group=env.get(RESOURCE_GROUP) or LOCAL_RESOURCE_GROUP,
            workspace_name=env.get(WORKSPACE) or LOCAL_WORKSPACE,
            policy_path=policy if policy.is_absolute() else APP_ROOT / policy,
            state_dir=Path(env.get(STATE_DIR) or APP_ROOT / ".reactor"),
            public_url=_public_url(env),
            lease_seconds=int(env.get(LEASE_SECONDS) or 360),
            env=env,
            max_body_bytes=int(env.get(MAX_BODY_BYTES) or 1 << 20),
            cache_entries=_whole(env, CACHE_ENTRIES, least=16) or 4096,
            retention_days=_whole(env, RETENTION_DAYS, least=2),
        )


def _whole(env: Mapping[str, str], name: str, *, least: int) -> int | None:
    """A whole-number setting of at least `least`; unset or empty: None. ValueError names the setting."""
    text = (env.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < least:
        raise ValueError(f"{name} must be a whole number of at least {least} (got {text!r})")
    return int(text)
