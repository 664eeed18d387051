"""The composition root picks the embedded defaults locally and the Azure adapters in azure mode."""

from shared.adapters.store.sqlite import SqliteStore
from shared.adapters.store.table.store import TableStore
from shared.adapters.workspace.azureml.workspace import AzureMLWorkspace
from shared.app import bootstrap
from shared.app.deployers import DeployerRouter
from shared.app.notifiers import NotifierRouter
from shared.app.settings import Settings


def test_local_mode_uses_the_embedded_defaults(settings: Settings) -> None:
    reactor = bootstrap.build(settings)
    assert isinstance(reactor.store, SqliteStore)
    assert reactor.workspace_id.endswith("/workspaces/ml-ws")


def test_azure_mode_wires_the_azure_adapters_without_calling_azure() -> None:
    env = {
        "AZURE_SUBSCRIPTION_ID": "s",
        "AZURE_RESOURCE_GROUP": "r",
        "AZUREML_WORKSPACE_NAME": "w",
        "REACTOR_STORAGE_CONNECTION": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        "TableEndpoint=http://127.0.0.1:1/devstoreaccount1;",
    }
    settings = Settings.from_env(env)
    assert settings.mode == "azure"
    reactor = bootstrap.build(settings)
    assert isinstance(reactor.store, TableStore)
    assert isinstance(reactor.workspace, AzureMLWorkspace)
    assert isinstance(reactor.deployer, DeployerRouter)
    assert isinstance(reactor.notifier, NotifierRouter)
