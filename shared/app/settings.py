"""Settings.from_env: the only reader of the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parents[2]

SUBSCRIPTION = "AZURE_SUBSCRIPTION_ID"
RESOURCE_GROUP = "AZURE_RESOURCE_GROUP"
WORKSPACE = "AZUREML_WORKSPACE_NAME"
MODE = "REACTOR_MODE"
POLICY = "REACTOR_POLICY"
STATE_DIR = "REACTOR_STATE_DIR"
PUBLIC_URL = "REACTOR_PUBLIC_URL"
LEASE_SECONDS = "REACTOR_LEASE_SECONDS"
APPROVAL_LINK_KEY = "REACTOR_APPROVAL_LINK_KEY"  # (secret) the approvals function's own key, put in approval links
HOSTNAME = "WEBSITE_HOSTNAME"  # set by App Service: the app's default host name
MAX_BODY_BYTES = "REACTOR_MAX_BODY_BYTES"  # largest request body / event accepted; default 1 MiB (Event Grid's)
AUTH_ENABLED = "WEBSITE_AUTH_ENABLED"  # set by App Service Authentication: only then is the principal header trusted

# Local dev host (devhost/) and its clients (`python -m shared send|demo`). (secret) = never logged.
FUNCTION_KEY = "REACTOR_FUNCTION_KEY"  # (secret) key for FUNCTION-level HTTP triggers; default: generated
EVENTGRID_KEY = "REACTOR_EVENTGRID_KEY"  # (secret) the eventgrid_extension system key; default: generated
HOST_URL = "REACTOR_HOST_URL"  # where `send` and `demo` post; default http://localhost:7071

# CD and notification adapters (docs/integrations.md). (secret) = never logged, a Key Vault reference in Azure.
GITHUB_TOKEN = "REACTOR_GITHUB_TOKEN"  # (secret) fine-grained PAT or app token with Actions: write
GITHUB_API_URL = "REACTOR_GITHUB_API_URL"  # default https://api.github.com (GitHub Enterprise: its /api/v3)
ADO_PAT = "REACTOR_ADO_PAT"  # (secret) optional; unset = Entra token of the managed identity
ADO_URL = "REACTOR_ADO_URL"  # default https://dev.azure.com
EMAIL_SENDER = "REACTOR_EMAIL_SENDER"  # From address for email (ACS: a verified domain) and smtp channels
ACS_CONNECTION_STRING = "REACTOR_ACS_CONNECTION_STRING"  # (secret) optional; else REACTOR_ACS_ENDPOINT + identity
ACS_ENDPOINT = "REACTOR_ACS_ENDPOINT"  # https://<resource>.communication.azure.com
SMTP_HOST = "REACTOR_SMTP_HOST"
SMTP_PORT = "REACTOR_SMTP_PORT"  # default 587
SMTP_USER = "REACTOR_SMTP_USER"  # optional: no AUTH when unset
SMTP_PASSWORD = "REACTOR_SMTP_PASSWORD"  # (secret)
SMTP_STARTTLS = "REACTOR_SMTP_STARTTLS"  # default true; false only on a trusted relay

# Azure ML workspace and Table Storage adapters (docs/azure.md). (secret) = never logged.
AZURE_CLIENT_ID = "AZURE_CLIENT_ID"  # client id of the user-assigned managed identity (DefaultAzureCredential)
MLFLOW_TRACKING_URI = "REACTOR_MLFLOW_TRACKING_URI"  # optional; default: the workspace's mlflow_tracking_uri
STORAGE_CONNECTION = "REACTOR_STORAGE_CONNECTION"  # (secret) Table Storage connection string; else the next two
STORAGE_TABLE_URL = "REACTOR_STORAGE_TABLE_URL"  # https://<account>.table.core.windows.net + managed identity
WEBJOBS_STORAGE = "AzureWebJobsStorage"  # (secret) the host's storage; the last fallback for the Table store
TABLE_PREFIX = "REACTOR_TABLE_PREFIX"  # default "reactor": tables reactorClaims, reactorRecords, ...

LOCAL_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
LOCAL_RESOURCE_GROUP = "local-rg"
LOCAL_WORKSPACE = "local-ws"


def workspace_arm_id(subscription: str, resource_group: str, workspace: str) -> str:
    """The ARM id Event Grid puts in `topic` / `source` for a workspace."""
    return (
        f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
    )


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

    @property
    def workspace_id(self) -> str:
        """The trusted workspace's ARM id."""
        return workspace_arm_id(self.subscription_id, self.resource_group, self.workspace_name)

    @property
    def platform_sign_in(self) -> bool:
        """Whether App Service Authentication fronts the app, so its principal headers can be trusted."""
        return (self.env.get(AUTH_ENABLED) or "").lower() == "true"

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
        )
