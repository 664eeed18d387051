"""Settings: one reader of the environment; the sample lists every setting; local mode is the default."""

import json
import re

import pytest

from shared.app import settings as settings_module
from shared.app.settings import APP_ROOT, Settings


def test_sample_lists_every_setting_the_app_reads() -> None:
    names = set(re.findall(r'^[A-Z_]+ = "([A-Za-z_]+)"', (APP_ROOT / "shared/app/settings.py").read_text(), re.M))
    sample = json.loads((APP_ROOT / "local.settings.sample.json").read_text())["Values"]
    assert names - set(sample) == set()
    assert all(isinstance(v, str) for v in sample.values())


def test_no_azure_settings_means_local_mode() -> None:
    assert Settings.from_env({}).mode == "local"


def test_azure_mode_names_the_missing_settings() -> None:
    with pytest.raises(ValueError, match="AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME"):
        Settings.from_env({"REACTOR_MODE": "azure", "AZURE_SUBSCRIPTION_ID": "s"})


def test_workspace_arm_id_is_built_from_the_three_settings() -> None:
    built = Settings.from_env(
        {"AZURE_SUBSCRIPTION_ID": "s", "AZURE_RESOURCE_GROUP": "r", "AZUREML_WORKSPACE_NAME": "w"}
    )
    assert built.workspace_id == settings_module.workspace_arm_id("s", "r", "w")
    assert built.workspace_id.endswith("/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w")


def test_links_use_the_apps_own_host_name_in_azure() -> None:
    assert (
        Settings.from_env({"WEBSITE_HOSTNAME": "reactor.azurewebsites.net"}).public_url
        == "https://reactor.azurewebsites.net"
    )
    assert Settings.from_env({"REACTOR_PUBLIC_URL": "https://x.example/"}).public_url == "https://x.example"
