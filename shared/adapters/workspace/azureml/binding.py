"""What MLOps Reactor binds into a pipeline YAML at submission: the params_override list for load_job."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.core.actions import SubmitJob

MODEL_INPUT = "model"
CHAMPION_INPUT = "champion_model"
MODEL_NAME_INPUT = "model_name"
REGISTERED_OUTPUT = "model"
CUSTOM = "custom_model"
MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")


def model_uri(name: str, version: str) -> str:
    """A registered model version as a job input path."""
    return f"azureml:{name}:{version}"


def default_experiment(purpose: str) -> str:
    """The experiment a job goes under when its YAML names none."""
    return f"mlops-reactor-{purpose.replace('_', '-')}"


def overrides(job: SubmitJob, spec: Mapping[str, Any], champion_type: str | None = None) -> list[dict[str, Any]]:
    """params_override for `load_job`: name, tags, and the inputs the job's purpose needs.

    `spec` is the YAML as parsed, so that only inputs and outputs the pipeline declares are bound, and the
    champion is wired into every step that takes the model under test. Each model input is bound with its
    model's type (`job.model_type`, `champion_type`; custom_model when unknown).
    """
    bound: list[dict[str, Any]] = [{"name": job.job_name}]
    bound += [{f"tags.{key}": str(value)} for key, value in sorted(job.tags.items())]
    inputs: Mapping[str, Any] = spec.get("inputs") or {}
    outputs: Mapping[str, Any] = spec.get("outputs") or {}
    if job.version is not None:
        bound.append(
            {f"inputs.{MODEL_INPUT}": {"type": job.model_type or CUSTOM, "path": model_uri(job.model, job.version)}}
        )
        if job.champion_version is not None:
            bound += _champion(job, spec, champion_type or job.model_type or CUSTOM)
    if MODEL_NAME_INPUT in inputs:
        bound.append({f"inputs.{MODEL_NAME_INPUT}": job.model})
    if isinstance(outputs.get(REGISTERED_OUTPUT), Mapping) and "name" in outputs[REGISTERED_OUTPUT]:
        bound.append({f"outputs.{REGISTERED_OUTPUT}.name": job.model})
    return bound


def _champion(job: SubmitJob, spec: Mapping[str, Any], model_type: str) -> list[dict[str, Any]]:
    assert job.champion_version is not None
    parent_ref = f"${{{{parent.inputs.{MODEL_INPUT}}}}}"
    bound: list[dict[str, Any]] = [
        {f"inputs.{CHAMPION_INPUT}": {"type": model_type, "path": model_uri(job.model, job.champion_version)}}
    ]
    steps: Mapping[str, Any] = spec.get("jobs") or {}
    for step, body in steps.items():
        step_inputs = (body or {}).get("inputs") or {}
        if any(str(value).replace(" ", "") == parent_ref for value in step_inputs.values()):
            bound.append({f"jobs.{step}.inputs.{CHAMPION_INPUT}": f"${{{{parent.inputs.{CHAMPION_INPUT}}}}}"})
    return bound
