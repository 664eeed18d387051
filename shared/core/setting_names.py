"""App-setting names (adapters quote them in their messages) and the one way a yes/no setting reads.

Pure: nothing here reads the environment; `shared/app/settings.py` does, and re-exports these names.
"""

from __future__ import annotations

SUBSCRIPTION = "AZURE_SUBSCRIPTION_ID"
RESOURCE_GROUP = "AZURE_RESOURCE_GROUP"
WORKSPACE = "AZUREML_WORKSPACE_NAME"
MODE = "REACTOR_MODE"
POLICY = "REACTOR_POLICY"
STATE_DIR = "REACTOR_STATE_DIR"
PUBLIC_URL = "REACTOR_PUBLIC_URL"
LEASE_SECONDS = "REACTOR_LEASE_SECONDS"
APPROVAL_LINK_KEY = "REACTOR_APPROVAL_LINK_KEY"  # (secret) the approvals function's own key, put in approval links
MAX_BODY_BYTES = "REACTOR_MAX_BODY_BYTES"  # largest request body / event accepted; default 1 MiB (Event Grid's)
CACHE_ENTRIES = "REACTOR_CACHE_ENTRIES"  # entries each per-process cache keeps (alert windows, Table ETags); 4096
RETENTION_DAYS = "REACTOR_RETENTION_DAYS"  # unset: keep history forever; N >= 2: the sweep prunes it daily
APPINSIGHTS = "APPLICATIONINSIGHTS_CONNECTION_STRING"  # set by the platform: telemetry to Application Insights
HOSTNAME = "WEBSITE_HOSTNAME"  # set by App Service: the app's default host name
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

# Event Grid's dead-letter blobs (`python -m shared deadletter eventgrid ...`). (secret) = never logged.
DEADLETTER_CONTAINER = "REACTOR_DEADLETTER_CONTAINER"  # default "eventgrid-deadletter" (the container infra/ makes)
DEADLETTER_BLOB_URL = "REACTOR_DEADLETTER_BLOB_URL"  # https://<account>.blob.core.windows.net + managed identity
DEADLETTER_CONNECTION = "REACTOR_DEADLETTER_CONNECTION"  # (secret) a connection string (Azurite); else the URL,
# else AzureWebJobsStorage when it is a connection string
# Reconcile (issue 13): the timer's NCRONTAB schedule, read by the Functions host through %REACTOR_RECONCILE_SCHEDULE%.
RECONCILE_SCHEDULE = "REACTOR_RECONCILE_SCHEDULE"  # default "0 */5 * * * *" (every five minutes)

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def flag(value: object, default: bool = False) -> bool:
    """A yes/no setting or option: true/1/yes/on, false/0/no/off (any case); unset or anything else: `default`."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in TRUE else False if text in FALSE else default
