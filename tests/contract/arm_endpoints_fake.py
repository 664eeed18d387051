"""Online endpoints, deployments, traffic and Azure Monitor metrics on the FakeAzureML server (the documented REST
shapes): mounted in front of its routes, it checks each request body and answers like ARM would.

Endpoints may live in several workspaces (dev, test, prd): each is reached under its own workspace's path only,
and a deployment names a model version of its own workspace (ARM id) or of a registry (`azureml://registries/...`,
which must hold it when the server is a FakeRegistry).
"""

from __future__ import annotations

import re
from typing import Any

from tests.contract.arm_recorder import Answer, Recorded
from tests.contract.azureml_fake_arm import WORKSPACE, FakeAzureML, ws_path

_ENDPOINT_PATH = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices/workspaces/"
    r"(?P<workspace>[^/]+)/onlineendpoints/(?P<rest>.+)$",
    re.IGNORECASE,
)
_REGISTRY_MODEL = re.compile(r"^azureml://registries/(?P<registry>[^/]+)/models/(?P<name>[^/]+)/versions/(?P<v>[^/]+)$")


class FakeOnlineEndpoints:
    """Endpoints and their deployments kept in memory; `script` makes a deployment fail or stay creating."""

    def __init__(self, server: FakeAzureML) -> None:
        self.server = server
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.deployments: dict[str, dict[str, dict[str, Any]]] = {}
        self.outcome: dict[str, tuple[str, str]] = {}  # deployment -> (provisioning state on the next GET, error)
        self.metrics: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (deployment, metric) -> timeseries
        self.problems: list[str] = []  # request bodies that broke the documented shape
        self.workspace_of: dict[str, str] = {}  # endpoint -> the workspace it lives in
        at = server.routes.index(server._scripted) + 1  # scripted failures still answer first
        server.routes[at:at] = [self._metrics, self._deployment, self._deployment_list, self._endpoint]

    def add_endpoint(self, name: str, workspace: str = WORKSPACE) -> None:
        """A managed online endpoint with no deployments yet, in a workspace (the app's unless told)."""
        self.server.workspaces.add(workspace)
        self.workspace_of[name] = workspace
        path = f"{ws_path(workspace)}/onlineEndpoints/{name}"
        self.endpoints[name] = {
            "id": path,
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
            "location": "westeurope",
            "identity": {"type": "SystemAssigned"},
            "kind": "Managed",
            "tags": {},
            "properties": {
                "authMode": "Key",
                "traffic": {},
                "mirrorTraffic": {},
                "provisioningState": "Succeeded",
                "scoringUri": f"https://{name}.westeurope.inference.ml.azure.com/score",
            },
        }
        self.deployments[name] = {}

    def script(self, deployment: str, state: str, error: str = "") -> None:
        """The provisioning state a deployment shows from now on (Succeeded, Failed, Creating)."""
        self.outcome[deployment] = (state, error)

    def serve_metrics(self, deployment: str, requests_2xx: float, requests_5xx: float, latency_ms: float) -> None:
        """One minute of RequestsPerMinute (by statusCodeClass) and latency for a deployment."""

        def point(**value: float) -> dict[str, Any]:
            return {"timeStamp": "2026-11-22T09:01:00Z", **value}

        def series(data: list[dict[str, Any]], **dims: str) -> dict[str, Any]:
            meta = [{"name": {"value": k, "localizedValue": k}, "value": v} for k, v in dims.items()]
            return {"metadatavalues": meta, "data": data}

        self.metrics[(deployment, "RequestsPerMinute")] = [
            series([point(total=requests_2xx)], deployment=deployment, statusCodeClass="2xx"),
            series([point(total=requests_5xx)], deployment=deployment, statusCodeClass="5xx"),
        ]
        for p in ("P50", "P90", "P95", "P99"):
            self.metrics[(deployment, f"RequestLatency_{p}")] = [
                series([point(average=latency_ms / 2), point(average=latency_ms)], deployment=deployment)
            ]

    def _endpoint(self, seen: Recorded) -> Answer | None:
        parts = self._after(seen.path)
        if parts is None or len(parts) != 1:
            return None
        stored = self.endpoints.get(parts[0])
        if seen.method == "GET":
            return Answer(200, stored) if stored else None
        if seen.method != "PUT" or stored is None:
            return None
        body = seen.json()
        props = body.get("properties") or {}
        traffic, mirror = props.get("traffic") or {}, props.get("mirrorTraffic") or {}
        known = self.deployments[parts[0]]
        problem = _traffic_problem(traffic, mirror, known)
        if problem or props.get("authMode") not in ("Key", "AMLToken", "AADToken") or not body.get("location"):
            self.problems.append(problem or "endpoint PUT without authMode/location")
            return Answer(400, {"error": {"code": "BadArgument", "message": problem or "invalid endpoint"}})
        stored["tags"] = dict(body.get("tags") or {})
        stored["properties"].update(traffic=dict(traffic), mirrorTraffic=dict(mirror))
        return Answer(200, stored)

    def _deployment_list(self, seen: Recorded) -> Answer | None:
        parts = self._after(seen.path)
        if seen.method != "GET" or parts is None or len(parts) != 2 or parts[1] != "deployments":
            return None
        if parts[0] not in self.deployments:
            return None
        return Answer(200, {"value": [self._shown(d) for d in self.deployments[parts[0]].values()]})

    def _deployment(self, seen: Recorded) -> Answer | None:
        parts = self._after(seen.path)
        if parts is None or len(parts) != 3 or parts[1] != "deployments" or parts[0] not in self.deployments:
            return None
        on, name = self.deployments[parts[0]], parts[2]
        if seen.method == "GET":
            return Answer(200, self._shown(on[name])) if name in on else None
        if seen.method == "DELETE":
            if self.endpoints[parts[0]]["properties"]["traffic"].get(name):
                return Answer(400, {"error": {"code": "BadArgument", "message": "deployment still takes traffic"}})
            on.pop(name, None)
            return Answer(200 if name else 204)
        if seen.method != "PUT":
            return None
        body = seen.json()
        problem = self._deployment_problem(body, self.workspace_of[parts[0]])
        if problem:
            self.problems.append(problem)
            return Answer(400, {"error": {"code": "BadArgument", "message": problem}})
        body["properties"]["provisioningState"] = "Creating"
        body["properties"].setdefault("scaleSettings", {"scaleType": "Default"})  # ARM fills in the default
        on[name] = {
            **body,
            "id": seen.path,
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        }
        return Answer(201, on[name])

    def _after(self, path: str) -> list[str] | None:
        """The path's parts after .../onlineEndpoints/ (None: not an endpoint of the workspace in the path)."""
        match = _ENDPOINT_PATH.match(path)
        if match is None:
            return None
        parts = match["rest"].split("/")
        if self.workspace_of.get(parts[0], "").lower() != match["workspace"].lower():
            return None  # no such endpoint in that workspace: ARM answers 404
        return parts

    def _deployment_problem(self, body: dict[str, Any], workspace: str) -> str:
        props = body.get("properties") or {}
        if props.get("endpointComputeType") != "Managed":
            return "properties.endpointComputeType must be Managed"
        model = str(props.get("model", ""))
        from_registry = _REGISTRY_MODEL.match(model)
        if from_registry:
            holds = getattr(self.server, "holds", None)
            named = (from_registry["name"], from_registry["v"], from_registry["registry"])
            if holds is not None and not holds(*named):
                return f"properties.model: registry {named[2]} has no {named[0]}:{named[1]}"
        elif not model.lower().startswith(f"{ws_path(workspace)}/models/".lower()):
            return f"properties.model must be a model version of workspace {workspace} or a registry (got {model})"
        elif model.lower() not in self.server.models:
            return f"properties.model: workspace {workspace} has no model version {model.rsplit('/models/', 1)[-1]}"
        if not props.get("instanceType") or not (body.get("sku") or {}).get("capacity"):
            return "properties.instanceType and sku.capacity are required"
        if bool(props.get("environmentId")) != bool(props.get("codeConfiguration")):
            return "a custom model needs both environmentId and codeConfiguration"
        return ""

    def _shown(self, deployment: dict[str, Any]) -> dict[str, Any]:
        state = self.outcome.get(deployment["name"], ("Succeeded", ""))[0]
        deployment["properties"]["provisioningState"] = state
        return deployment

    def _metrics(self, seen: Recorded) -> Answer | None:
        if seen.method != "GET" or not seen.path.lower().endswith("/providers/microsoft.insights/metrics"):
            return None
        q = {k: v[0] for k, v in seen.query.items()}
        required = ("api-version", "metricnames", "timespan", "aggregation", "$filter")
        if any(k not in q for k in required) or "/" not in q["timespan"] or "deployment eq '" not in q["$filter"]:
            self.problems.append(f"metrics query {q}")
            return Answer(400, {"error": {"code": "BadRequest", "message": "invalid metrics query"}})
        resource = seen.path[: -len("/providers/microsoft.insights/metrics")]
        parts = self._after(resource)
        if parts is None or len(parts) != 1 or parts[0] not in self.endpoints:
            self.problems.append(f"metrics of {resource}: not an endpoint in its workspace")
            return Answer(404, {"error": {"code": "ResourceNotFound", "message": f"{resource} not found"}})
        deployment = q["$filter"].split("deployment eq '", 1)[1].split("'", 1)[0]
        metric = q["metricnames"]
        value = {
            "id": f"{seen.path}/{metric}",
            "type": "Microsoft.Insights/metrics",
            "name": {"value": metric, "localizedValue": metric},
            "unit": "Count" if metric.startswith("Requests") else "Milliseconds",
            "timeseries": self.metrics.get((deployment, metric), []),
            "errorCode": "Success",
        }
        return Answer(200, {"cost": 0, "timespan": q["timespan"], "interval": "PT1M", "value": [value]})


def _traffic_problem(traffic: dict[str, Any], mirror: dict[str, Any], known: dict[str, Any]) -> str:
    names = set(traffic) | set(mirror)
    if names - set(known):
        return f"traffic names deployments that do not exist: {sorted(names - set(known))}"
    if traffic and sum(traffic.values()) != 100:
        return f"traffic must sum to 100 (got {traffic})"
    if any(v > 50 for v in mirror.values()) or set(mirror) & {n for n, v in traffic.items() if v}:
        return f"mirror traffic must be at most 50 and go to a deployment without live traffic (got {mirror})"
    return ""
