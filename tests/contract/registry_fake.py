"""FakeAzureML plus an Azure ML registry: discovery, and model versions copied (shared) from the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.contract.arm_recorder import Answer, Recorded
from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, FakeAzureML, StaticTokenCredential

REGISTRY = "contoso-models"
REGISTRY_RG = "registries-rg"


class FakeRegistry(FakeAzureML):
    """Answers registry discovery (pointing the SDK back here) and keeps the registry's model versions."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.registry_models: dict[str, dict[str, Any]] = {}
        self.routes.insert(1, self._discovery)
        self.routes.insert(2, self._registry)

    def _discovery(self, seen: Recorded) -> Answer | None:
        if seen.method != "GET" or not seen.path.lower().endswith(f"/registries/{REGISTRY}/discovery"):
            return None
        return Answer(
            200,
            {
                "registryName": REGISTRY,
                "primaryRegion": "westeurope",
                "regions": ["westeurope"],
                "subscriptionId": SUBSCRIPTION,
                "resourceGroup": REGISTRY_RG,
                "primaryRegionResourceProviderUri": self.url + "/",
                "registryFqdns": {"westeurope": {"primary": self.url}},
            },
        )

    def _registry(self, seen: Recorded) -> Answer | None:
        path = seen.path.lower()
        if path.endswith(f"/registries/{REGISTRY}/import") and seen.method == "POST":
            return self._import(seen)
        if path.endswith("/registry-operations/import"):
            return Answer(204)  # done; the SDK then reads the copied version
        if f"/registries/{REGISTRY}/models/".lower() not in path:
            return None
        if seen.method == "GET" and path.endswith("/versions"):
            prefix = path + "/"
            return Answer(200, {"value": [m for p, m in self.registry_models.items() if p.startswith(prefix)]})
        if seen.method == "GET":
            stored = self.registry_models.get(path)
            return Answer(200, stored) if stored else None
        return None

    def _import(self, seen: Recorded) -> Answer:
        """Copy a workspace model version into the registry (Azure ML's asset import, a long-running operation)."""
        asked = seen.json()["properties"]
        base = seen.path.rsplit("/import", 1)[0]
        path = f"{base}/models/{asked['destinationName']}/versions/{asked['destinationVersion']}"
        self.registry_models[path.lower()] = {
            "id": f"azureml://registries/{REGISTRY}/models/{asked['destinationName']}/versions/{asked['destinationVersion']}",
            "name": asked["destinationVersion"],
            "properties": {
                "modelUri": asked["sourceAssetId"],
                "modelType": self._source_type(asked["sourceAssetId"]),  # a copy keeps its type (MLflow, custom)
                "flavors": {},
                "tags": {},
                "properties": {},
            },
        }
        return Answer(202, None, {"Location": f"{self.url}/registry-operations/import"})

    def _source_type(self, source: str) -> str:
        """The model type of the copied workspace version (named by the tail .../models/<name>/versions/<v>)."""
        tail = "/models/" + source.lower().split("/models/", 1)[-1]
        found = next((m for path, m in self.models.items() if path.endswith(tail)), None)
        return str(found["properties"].get("modelType", "custom_model")) if found else "custom_model"

    def holds(self, model: str, version: str, registry: str = REGISTRY) -> bool:
        """Whether a registry has a model version (copied there)."""
        tail = f"/registries/{registry}/models/{model}/versions/{version}".lower()
        return any(path.endswith(tail) for path in self.registry_models)

    def registry_client(self, name: str = REGISTRY) -> Any:
        """The real MLClient scoped to the registry; discovery points it back here."""
        from azure.ai.ml import MLClient

        return MLClient(StaticTokenCredential(), registry_name=name, **self.client_options())


__all__ = ["REGISTRY", "RESOURCE_GROUP", "FakeRegistry"]
