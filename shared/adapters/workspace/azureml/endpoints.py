"""Read what an online endpoint serves through azure-ai-ml: its traffic, and each serving deployment's model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from shared.core.endpoints import DeploymentModel, EndpointTraffic, model_version

T = TypeVar("T")


class OnlineEndpointOperations(Protocol):
    """The slice of `MLClient.online_endpoints` we call (read only)."""

    def get(self, name: str) -> Any:
        """An endpoint, with its traffic and mirror_traffic maps."""


class OnlineDeploymentOperations(Protocol):
    """The slice of `MLClient.online_deployments` we call (read only)."""

    def get(self, name: str, endpoint_name: str) -> Any:
        """A deployment, with the model it serves."""


def read_endpoint(
    endpoints: OnlineEndpointOperations,
    deployments: OnlineDeploymentOperations,
    name: str,
    call: Callable[[str, Callable[..., T], str], T],
) -> EndpointTraffic | None:
    """The endpoint's serving deployments (live or mirrored traffic > 0); None when it does not exist.

    `call(doing, fn, arg)` runs one SDK call with the adapter's error translation; a 404 comes back as None.
    """
    endpoint = _found(lambda: call(f"reading online endpoint {name}", endpoints.get, name))
    if endpoint is None:
        return None
    traffic = _shares(getattr(endpoint, "traffic", None))
    mirror = _shares(getattr(endpoint, "mirror_traffic", None))
    serving = sorted(d for d in {*traffic, *mirror} if traffic.get(d, 0) > 0 or mirror.get(d, 0) > 0)
    found = tuple(_serving(deployments, name, d, traffic.get(d, 0), mirror.get(d, 0), call) for d in serving)
    tags = {str(k): str(v) for k, v in (getattr(endpoint, "tags", None) or {}).items()}
    return EndpointTraffic(endpoint=name, tags=tags, deployments=found)


def _serving(
    deployments: OnlineDeploymentOperations,
    endpoint: str,
    deployment: str,
    traffic: int,
    mirror: int,
    call: Callable[[str, Callable[..., Any], str], Any],
) -> DeploymentModel:
    """One serving deployment and its model (a deployment gone since the endpoint was read serves none)."""

    def get(name: str) -> Any:
        return deployments.get(name=name, endpoint_name=endpoint)

    read = _found(lambda: call(f"reading deployment {deployment} of online endpoint {endpoint}", get, deployment))
    model_id = _model_id(getattr(read, "model", None)) if read is not None else ""
    model, version = model_version(model_id)
    return DeploymentModel(
        deployment=deployment, model=model, version=version, traffic=traffic, mirror=mirror, model_id=model_id
    )


def _found(read: Callable[[], T]) -> T | None:
    """The read's result; None when the resource is gone (the translated error keeps the 404)."""
    try:
        return read()
    except Exception as exc:
        if getattr(exc.__cause__, "status_code", None) == 404 or getattr(exc, "status_code", None) == 404:
            return None
        raise


def _shares(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {str(k): int(v or 0) for k, v in value.items()}


def _model_id(model: Any) -> str:
    """The deployment's model as a reference: a string (ARM id or azureml:name:version), or a Model entity."""
    if model is None:
        return ""
    if isinstance(model, str):
        return model
    name, version = getattr(model, "name", None), getattr(model, "version", None)
    return str(getattr(model, "id", None) or (f"azureml:{name}:{version}" if name and version else ""))
