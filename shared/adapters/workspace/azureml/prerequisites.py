"""What the shipped pipelines need from the workspace (read from their YAML), and read-only checks with MLClient."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROLES = "check with: az role assignment list --assignee <principal id> --all -o table"


@dataclass(frozen=True, kw_only=True)
class Need:
    """One thing a pipeline needs: its kind (compute, environment, data, component, role), name and who needs it."""

    kind: str
    name: str
    version: str = ""
    needed_by: str = ""
    fix: str = ""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """The result of checking one need: ok, a problem (with its fix), or only checkable by hand."""

    need: Need
    status: str  # "ok" | "problem" | "manual"
    detail: str = ""


def read_needs(app_root: Path, job_files: Iterable[str]) -> list[Need]:
    """Compute, environments, data assets and components of each job file (and its components), deduplicated."""
    found: dict[tuple[str, str, str], Need] = {}
    for job_file in sorted(set(job_files)):
        spec = yaml.safe_load((app_root / job_file).read_text(encoding="utf-8")) or {}
        compute = str((spec.get("settings") or {}).get("default_compute") or "").removeprefix("azureml:")
        if compute:
            _add(
                found,
                Need(
                    kind="compute",
                    name=compute,
                    needed_by=job_file,
                    fix=f"create the cluster: az ml "
                    f"compute create -n {compute} --type AmlCompute --min-instances 0 --max-instances 2",
                ),
            )
        for value in (spec.get("inputs") or {}).values():
            _data(found, job_file, value)
        for step in (spec.get("jobs") or {}).values():
            _component(found, app_root, job_file, str((step or {}).get("component", "")))
    roles = [
        Need(
            kind="role",
            name="AzureML Data Scientist",
            needed_by="the app's managed identity (workspace scope)",
            fix=ROLES,
        ),
        Need(
            kind="role",
            name="Storage Blob Data Contributor",
            needed_by="the compute's identity, on the storage "
            "account of each identity-based datastore the jobs read or write",
            fix=ROLES,
        ),
    ]
    return [*found.values(), *roles]


def _data(found: dict[tuple[str, str, str], Need], job_file: str, value: Any) -> None:
    path = str(value.get("path", "")) if isinstance(value, dict) else ""
    if not isinstance(value, dict) or value.get("type") != "uri_folder" or not path.startswith("azureml:"):
        return
    name, _, version = path.removeprefix("azureml:").partition(":")
    fix = f"register it: az ml data create -n {name} -v {version} --type uri_folder --path <folder>"
    _add(found, Need(kind="data", name=name, version=version, needed_by=job_file, fix=fix))


def _component(found: dict[tuple[str, str, str], Need], app_root: Path, job_file: str, ref: str) -> None:
    if not ref.startswith("./"):
        return
    path = (app_root / job_file).parent / ref
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    _add(
        found,
        Need(
            kind="component",
            name=str(spec.get("name", ref)),
            needed_by=job_file,
            fix="nothing to register: created with each job from " + ref,
        ),
    )
    env = str(spec.get("environment", "")).removeprefix("azureml:")
    if env:
        name, _, label = env.partition("@")
        _add(
            found,
            Need(
                kind="environment",
                name=name,
                version=label or "",
                needed_by=ref,
                fix=f"use a curated environment the workspace has, or create it: az ml environment create -n {name}",
            ),
        )


def _add(found: dict[tuple[str, str, str], Need], need: Need) -> None:
    found.setdefault((need.kind, need.name, need.version), need)


def check_needs(client: Any, needs: Iterable[Need]) -> list[Finding]:
    """Check each need with read-only calls; every problem is reported (none stops the others)."""
    return [_check(client, need) for need in needs]


def _check(client: Any, need: Need) -> Finding:
    calls: dict[str, Callable[[], Any]] = {
        "compute": lambda: client.compute.get(need.name),
        "data": lambda: client.data.get(need.name, version=need.version),
        "environment": lambda: client.environments.get(need.name, label=need.version or "latest"),
    }
    if need.kind == "component":
        return Finding(need=need, status="ok", detail="inline: created with the job")
    if need.kind == "role":
        return _role(client, need)
    try:
        calls[need.kind]()
    except Exception as exc:  # every SDK error becomes a finding: the report lists them all
        code = getattr(exc, "status_code", None)
        why = (
            "not found"
            if code == 404
            else "no read access (assign AzureML Data Scientist)"
            if code == 403
            else str(exc)[:200]
        )
        return Finding(need=need, status="problem", detail=why)
    return Finding(need=need, status="ok")


def _role(client: Any, need: Need) -> Finding:
    if need.name != "Storage Blob Data Contributor":
        return Finding(need=need, status="manual", detail="the checks above read the workspace as this identity")
    try:
        store = client.datastores.get_default()
    except Exception as exc:
        return Finding(need=need, status="problem", detail=f"cannot read the default datastore: {str(exc)[:200]}")
    identity_based = type(getattr(store, "credentials", None)).__name__ == "NoneCredentialConfiguration"
    if not identity_based:
        return Finding(need=need, status="ok", detail=f"datastore {store.name} uses stored credentials: not needed")
    return Finding(need=need, status="manual", detail=f"datastore {store.name} is identity-based: {ROLES}")
