"""The Function App's settings in Bicep against the names the code reads: a difference fails, with its name."""

from __future__ import annotations

import json

import pytest

from shared.app.settings import APP_ROOT
from shared.core import setting_names
from tests.infra.bicep import resource

pytest.importorskip("pycep")

TELEMETRY = "APPLICATIONINSIGHTS_CONNECTION_STRING"  # read by shared/adapters/telemetry.py

# Read by the code, deliberately not set by infra/ (each with the reason).
NOT_IN_BICEP = {
    "FUNCTIONS_WORKER_RUNTIME": "deprecated on Flex Consumption: the runtime is functionAppConfig.runtime",
    "AzureWebJobsStorage": "identity-based: AzureWebJobsStorage__accountName/__credential/__clientId instead",
    "WEBSITE_HOSTNAME": "set by the platform",
    "WEBSITE_AUTH_ENABLED": "set by the platform when authsettingsV2 is on",
    "REACTOR_PUBLIC_URL": "defaults to https://$WEBSITE_HOSTNAME",
    "REACTOR_STATE_DIR": "local mode only (SQLite, outbox)",
    "REACTOR_FUNCTION_KEY": "local dev host and CLI only",
    "REACTOR_EVENTGRID_KEY": "local dev host and CLI only",
    "REACTOR_HOST_URL": "local dev host and CLI only",
    "REACTOR_MLFLOW_TRACKING_URI": "optional: the workspace's own tracking URI by default",
    "REACTOR_STORAGE_CONNECTION": "optional secret: the identity and REACTOR_STORAGE_TABLE_URL are used instead",
    "REACTOR_ACS_CONNECTION_STRING": "optional secret: the identity and REACTOR_ACS_ENDPOINT are used instead",
    "REACTOR_ADO_PAT": "optional secret: the identity's Entra token by default; an unresolved Key Vault reference "
    "would be read as the PAT, so add it only with its secret (docs/runbook.md)",
    "REACTOR_SMTP_HOST": "smtp channel only (docs/runbook.md adds its settings)",
    "REACTOR_SMTP_PORT": "smtp channel only",
    "REACTOR_SMTP_USER": "smtp channel only",
    "REACTOR_SMTP_PASSWORD": "smtp channel only (a Key Vault reference when used)",
    "REACTOR_SMTP_STARTTLS": "smtp channel only",
    "REACTOR_DEADLETTER_CONNECTION": "optional secret: the identity and REACTOR_DEADLETTER_BLOB_URL are used instead",
}
# Set by infra/ for the platform, not read by our code.
PLATFORM_ONLY = {
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "MICROSOFT_PROVIDER_AUTHENTICATION_SECRET",  # App Service Authentication's client secret (Key Vault)
}
SECRETS = {"REACTOR_GITHUB_TOKEN", "REACTOR_TEAMS_WEBHOOK_ONCALL", "REACTOR_APPROVAL_LINK_KEY"}


def code_settings() -> set[str]:
    """Every setting name the code reads: setting_names.py, the sample file (policy-named ones), telemetry."""
    names = {v for k, v in vars(setting_names).items() if k.isupper() and isinstance(v, str)}
    sample = json.loads((APP_ROOT / "local.settings.sample.json").read_text(encoding="utf-8"))
    return names | set(sample["Values"]) | {TELEMETRY}


def bicep_settings() -> dict[str, object]:
    """The app settings of the Function App resource, by name."""
    app = resource("app/function", "app")
    return {s["name"]: s["value"] for s in app["properties"]["siteConfig"]["appSettings"]}


def test_bicep_sets_every_setting_the_code_reads_and_nothing_else() -> None:
    code, bicep = code_settings(), set(bicep_settings())

    missing = sorted(code - bicep - set(NOT_IN_BICEP))
    unknown = sorted(bicep - code - PLATFORM_ONLY)
    assert not missing, f"read by the code, absent from infra/app/function.bicep: {missing}"
    assert not unknown, f"set in infra/app/function.bicep, read by nothing: {unknown}"


def test_the_allow_list_names_only_settings_the_code_reads_and_bicep_omits() -> None:
    assert set(NOT_IN_BICEP) <= code_settings()
    assert not set(NOT_IN_BICEP) & set(bicep_settings())


def test_secrets_are_key_vault_references() -> None:
    values = bicep_settings()

    for name in SECRETS | {"MICROSOFT_PROVIDER_AUTHENTICATION_SECRET"}:
        assert str(values[name]).startswith("@Microsoft.KeyVault(VaultName="), name
    assert values["AZURE_CLIENT_ID"] == "identityClientId"
    assert values["REACTOR_MODE"] == "azure"
