"""A stand-in for the Azure ML control plane over HTTPS: just enough ARM for the real MLClient to submit and tag."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

from tests.contract.arm_recorder import Answer, ArmRecorder, Recorded

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
RESOURCE_GROUP = "ml-rg"
WORKSPACE = "ml-ws"


def ws_path(workspace: str = WORKSPACE) -> str:
    """The ARM id of a workspace of the fake (all in one subscription and resource group)."""
    return (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
    )


WS_PATH = ws_path()
ALREADY_EXISTS = (
    "A job with this name already exists. If you are trying to create a new job, use a different "
    "name. If you are trying to update an existing job, the existing job's Settings, Inputs, Outputs, "
    "Jobs, InputBindings, OutputBindings cannot be changed. Only description, tags, displayName, "
    "properties, and isArchived can be updated."
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class StaticTokenCredential:
    """A TokenCredential that hands out an unsigned JWT whose audience is the requested resource."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        audience = scopes[0].removesuffix("/.default") if scopes else ""
        expires = int(time.time()) + 3600
        claims = {"aud": audience, "exp": expires, "tid": "tenant", "oid": "reactor-identity"}
        return AccessToken(f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.sig", expires)


class FakeAzureML(ArmRecorder):
    """Records every request; keeps jobs and model versions; answers "already exists" like Azure ML does."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.jobs: dict[str, dict[str, Any]] = {}
        self.models: dict[str, dict[str, Any]] = {}
        self.failures: list[tuple[str, str, Answer]] = []
        self.assets: dict[str, dict[str, Any]] = {}  # read-only resources by ARM path (lower case): doctor's GETs
        self.workspaces = {WORKSPACE}  # the app's; add_workspace serves more (test, prd)
        self.routes += [self._scripted, self._workspace, self._codes, self._components, self._job, self._model]
        self.routes.append(self._asset)

    def add_workspace(self, name: str) -> str:
        """Another workspace in the same resource group (its GET answers); its ARM id."""
        self.workspaces.add(name)
        return ws_path(name)

    def fail_next(self, method: str, contains: str, answer: Answer) -> None:
        """Answer the next matching request with `answer` (e.g. 403, 429 with Retry-After, 503)."""
        self.failures.append((method, contains, answer))

    def hide_next_job_get(self) -> None:
        """The next GET of a job answers 404 even if it exists (a concurrent submitter won the race)."""
        self.fail_next("GET", "/jobs/", Answer(404, {"error": {"code": "UserError", "message": "not found"}}))

    def set_job_status(self, name: str, status: str) -> None:
        """A job reaches a status in the workspace (what Azure ML would show; no event is sent)."""
        self.jobs[name]["properties"]["status"] = status

    def register_model(
        self,
        name: str,
        version: str,
        tags: dict[str, str],
        model_type: str = "custom_model",
        created_by: tuple[str, str] | None = None,  # (who, "User" | "Application" | ...): ARM's systemData
    ) -> None:
        """A registered model version, as the service would return it."""
        path = f"{WS_PATH}/models/{name}/versions/{version}"
        system = {"createdBy": created_by[0], "createdByType": created_by[1]} if created_by else {}
        self.models[path.lower()] = {
            "id": path,
            "name": version,
            **({"systemData": {**system, "createdAt": "2026-11-22T09:00:00Z"}} if system else {}),
            "properties": {
                "modelType": model_type,
                "flavors": {},
                "tags": dict(tags),
                "properties": {},
                "modelUri": f"azureml://subscriptions/{SUBSCRIPTION}/resourcegroups/{RESOURCE_GROUP}/workspaces/"
                f"{WORKSPACE}/datastores/workspaceblobstore/paths/models/{name}/{version}/",
            },
        }

    def add_compute(self, name: str) -> None:
        """An AmlCompute cluster."""
        props = {"vmSize": "STANDARD_DS3_V2", "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 2}}
        body = {"computeType": "AmlCompute", "provisioningState": "Succeeded", "properties": props}
        self._put_asset(f"computes/{name}", name, body)

    def add_data(self, name: str, version: str) -> None:
        """A uri_folder data asset version."""
        body = {"dataType": "uri_folder", "dataUri": "azureml://datastores/workspaceblobstore/paths/d/"}
        self._put_asset(f"data/{name}/versions/{version}", version, body)

    def add_environment(self, name: str, version: str) -> None:
        """An environment (container with its latest version, and that version)."""
        self._put_asset(f"environments/{name}", name, {"latestVersion": version})
        self._put_asset(f"environments/{name}/versions/{version}", version, {"image": "mcr.microsoft.com/x:1"})
        latest = self.assets[f"{WS_PATH}/environments/{name}/versions/{version}".lower()]
        self._put_asset(f"environments/{name}/versions", "", {"value": [latest]})  # label latest: newest first

    def add_default_datastore(self, identity_based: bool) -> None:
        """The default blob datastore, identity-based (no stored credentials) or with an account key."""
        credentials = {"credentialsType": "None"} if identity_based else {"credentialsType": "AccountKey"}
        body = {
            "datastoreType": "AzureBlob",
            "accountName": "store",
            "containerName": "azureml",
            "endpoint": "core.windows.net",
            "protocol": "https",
            "isDefault": True,
            "credentials": credentials,
        }
        self._put_asset("datastores/workspaceblobstore", "workspaceblobstore", body)
        self._put_asset("datastores", "", {"value": [self.assets[f"{WS_PATH}/datastores/workspaceblobstore".lower()]]})

    def add_online_endpoint(
        self,
        name: str,
        traffic: dict[str, int],
        mirror: dict[str, int] | None = None,
        tags: dict[str, str] | None = None,
        workspace: str = WORKSPACE,
    ) -> None:
        """A managed online endpoint as GET .../onlineEndpoints/{name} returns it (api 2024-04-01 shape)."""
        path = f"{ws_path(workspace)}/onlineEndpoints/{name}"
        self.assets[path.lower()] = {
            "id": path,
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
            "location": "westeurope",
            "kind": "Managed",
            "identity": {"type": "SystemAssigned", "principalId": "p", "tenantId": "t"},
            "tags": dict(tags or {}),
            "properties": {
                "authMode": "Key",
                "scoringUri": f"https://{name}.westeurope.inference.ml.azure.com/score",
                "traffic": dict(traffic),
                "mirrorTraffic": dict(mirror or {}),
                "provisioningState": "Succeeded",
                "publicNetworkAccess": "Enabled",
            },
        }
        self.assets[f"{path}/deployments".lower()] = {"value": []}

    def add_online_deployment(self, endpoint: str, name: str, model: str | None, workspace: str = WORKSPACE) -> None:
        """A managed deployment under an endpoint (also in its GET .../deployments list), model as stored."""
        path = f"{ws_path(workspace)}/onlineEndpoints/{endpoint}/deployments/{name}"
        properties: dict[str, Any] = {
            "endpointComputeType": "Managed",
            "instanceType": "Standard_DS3_v2",
            "provisioningState": "Succeeded",
            "scaleSettings": {"scaleType": "Default"},
        }
        if model is not None:
            properties["model"] = model
        body = {
            "id": path,
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
            "location": "westeurope",
            "kind": "Managed",
            "sku": {"name": "Default", "capacity": 1},
            "tags": {},
            "properties": properties,
        }
        self.assets[path.lower()] = body
        self.assets[f"{ws_path(workspace)}/onlineEndpoints/{endpoint}/deployments".lower()]["value"].append(body)

    def _put_asset(self, suffix: str, name: str, properties: dict[str, Any]) -> None:
        path = f"{WS_PATH}/{suffix}"
        self.assets[path.lower()] = (
            properties if "value" in properties else {"id": path, "name": name, "properties": properties}
        )

    def _asset(self, seen: Recorded) -> Answer | None:
        stored = self.assets.get(seen.path.lower()) if seen.method == "GET" else None
        return Answer(200, stored) if stored is not None else None

    def client(self, workspace: str = WORKSPACE, **kwargs: Any) -> Any:
        """The real MLClient on a workspace, pointed at this server through custom cloud endpoints."""
        from azure.ai.ml import MLClient

        return MLClient(
            StaticTokenCredential(),
            SUBSCRIPTION,
            RESOURCE_GROUP,
            workspace,
            **self.client_options(),
            **kwargs,
        )

    def client_options(self) -> dict[str, Any]:
        """MLClient keywords that point it here: a custom cloud, this server's certificate, no retries."""
        port = self.server.server_address[1]
        meta = {
            "azure_portal": self.url,
            "resource_manager": self.url,
            "active_directory": self.url,
            "aml_resource_id": self.url,
            "storage_endpoint": f"localhost:{port}",
            "registry_discovery_endpoint": self.url,
        }
        return {
            "cloud": f"ReactorTest{port}",
            "cloud_metadata": meta,
            "show_progress": False,
            "enable_telemetry": False,
            "connection_verify": str(self.cert),
            "retry_total": 0,
        }

    def _scripted(self, seen: Recorded) -> Answer | None:
        for i, (method, contains, answer) in enumerate(self.failures):
            if seen.method == method and contains.lower() in seen.path.lower():
                del self.failures[i]
                return answer
        return None

    def _workspace(self, seen: Recorded) -> Answer | None:
        names = {ws_path(w).lower(): w for w in self.workspaces}
        if seen.method != "GET" or seen.path.lower() not in names:
            return None
        name = names[seen.path.lower()]
        return Answer(
            200,
            {
                "id": ws_path(name),
                "name": name,
                "location": "westeurope",
                "properties": {
                    "workspaceId": "00000000-aaaa-bbbb-cccc-000000000000",
                    "mlFlowTrackingUri": "azureml://tracking",
                },
            },
        )

    def _codes(self, seen: Recorded) -> Answer | None:
        # The source folder's content hash is already known: the SDK reuses that code asset, no blob upload.
        if seen.method != "GET" or "/codes/" not in seen.path:
            return None
        path = f"{WS_PATH}/codes/reactor-src/versions/1"
        asset = {
            "id": path,
            "name": "1",
            "properties": {
                "codeUri": "https://store.blob.core.windows.net/azureml/LocalUpload/abc/src",
                "isAnonymous": True,
            },
        }
        return Answer(200, {"value": [asset]} if seen.path.endswith("/versions") else asset)

    def _components(self, seen: Recorded) -> Answer | None:
        if seen.method != "PUT" or "/components/" not in seen.path:
            return None
        return Answer(201, {**seen.json(), "id": seen.path, "name": seen.path.rsplit("/", 1)[-1]})

    def _job(self, seen: Recorded) -> Answer | None:
        if "/jobs/" not in seen.path:
            return None
        name = seen.path.rsplit("/", 1)[-1]
        if seen.method == "GET":
            return Answer(200, self.jobs[name]) if name in self.jobs else None
        if seen.method != "PUT":
            return None
        if name in self.jobs:
            return Answer(
                400, {"error": {"code": "UserError", "message": ALREADY_EXISTS, "innerError": {"code": "Immutable"}}}
            )
        body = seen.json()
        body["properties"]["status"] = "NotStarted"
        self.jobs[name] = {**body, "id": seen.path, "name": name, "type": "Microsoft.MachineLearningServices/jobs"}
        return Answer(201, self.jobs[name])

    def _model(self, seen: Recorded) -> Answer | None:
        if "/models/" not in seen.path or "/versions/" not in seen.path:
            return None
        stored = self.models.get(seen.path.lower())
        if seen.method == "GET":
            return Answer(200, stored) if stored else None
        if seen.method == "PUT" and stored is not None:
            stored["properties"].update({k: v for k, v in seen.json()["properties"].items() if k == "tags"})
            return Answer(200, stored)
        return None
