"""`python -m shared doctor`: what the shipped pipelines need from the workspace; in Azure mode, each checked read-only.

Every problem is reported at once, each with its fix; the policy is checked against the mode too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.adapters.workspace.azureml.prerequisites import Finding, Need, check_needs, read_needs
from shared.app.settings import APP_ROOT, Settings
from shared.core.config_check import problems_for_mode
from shared.core.policy import Policy, load_policy


def add_command(sub: Any) -> None:
    """Register `doctor` on the CLI's subparsers."""
    doctor = sub.add_parser("doctor", help="list (and in Azure mode check) what the workspace must have")
    doctor.set_defaults(run=lambda args: run(Settings.from_env()))


def job_files(policy: Policy) -> list[str]:
    """Every job file the policy may submit: each rule's test job and each drift rule's retrain job."""
    return sorted({r.test_job for r in policy.models} | {r.retrain_job for r in policy.drift.rules})


def run(settings: Settings, client: Any = None, out: Callable[[str], None] = print) -> int:
    """Print the needs (and findings); exit 1 when anything is a problem."""
    policy = load_policy(settings.policy_path)
    needs = read_needs(APP_ROOT, job_files(policy))
    out(f"workspace {settings.workspace_name} ({settings.mode} mode); the pipelines need:")
    problems = [f"policy {p.path}: {p.reason}" for p in problems_for_mode(policy, settings.mode, settings.workspace_id)]
    if settings.mode != "azure":
        for need in needs:
            out(f"  - {_label(need)}  (fix if missing: {need.fix})")
        out("local mode: nothing checked (set the workspace settings and REACTOR_MODE=azure to check)")
    else:
        findings = check_needs(client if client is not None else _client(settings), needs)
        for finding in findings:
            out(f"  [{finding.status}] {_label(finding.need)}" + (f": {finding.detail}" if finding.detail else ""))
        problems += [_problem(f) for f in findings if f.status == "problem"]
    for problem in problems:
        out(f"PROBLEM {problem}")
    out(f"{len(problems)} problem(s)")
    return 1 if problems else 0


def _client(settings: Settings) -> Any:
    from shared.app.azure import azureml_workspace

    return azureml_workspace(settings).client


def _label(need: Need) -> str:
    version = f":{need.version}" if need.version and need.kind == "data" else f"@{need.version}" if need.version else ""
    return f"{need.kind} {need.name}{version} (for {need.needed_by})"


def _problem(finding: Finding) -> str:
    return f"{_label(finding.need)}: {finding.detail}; fix: {finding.need.fix}"
