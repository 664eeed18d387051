"""`python -m shared deploy`: local mode, a deployment written outside the loop, and what the watchdog made of it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from shared.core.endpoints import model_version


def add(sub: Any, local_workspace: Callable[[], Any], reactor: Callable[[], Any]) -> None:
    """Register the `deploy` command on the CLI's subparsers."""
    deploy = sub.add_parser(
        "deploy", help="local mode: write an online deployment outside the loop and react to ARM's events"
    )
    deploy.add_argument("endpoint")
    deploy.add_argument("deployment")
    deploy.add_argument("model", metavar="MODEL:VERSION")
    deploy.add_argument("--traffic", type=int, default=100, help="its share of live traffic, 0-100 (default 100)")
    deploy.add_argument("--by", default="Jane Doe", help="who wrote it (the claims' name)")
    deploy.set_defaults(run=lambda args: _deploy(args, local_workspace(), reactor()))


def _deploy(args: argparse.Namespace, workspace: Any, reactor: Any) -> int:
    name, version = model_version(f"azureml:{args.model}")
    if not name:
        raise ValueError(f"MODEL:VERSION expects a registered model version like credit-risk:3 (got {args.model!r})")
    if not 0 <= args.traffic <= 100:
        raise ValueError(f"--traffic must be a percentage from 0 to 100 (got {args.traffic})")
    events = workspace.endpoints.write_deployment(
        args.endpoint, args.deployment, f"azureml:{name}:{version}", traffic=args.traffic, caller={"writer": args.by}
    )
    for o in reactor.handle_delivery(events):
        actions = [f"{a['kind']}:{a.get('status')}" for a in o.actions]
        print(json.dumps({"id": o.id, "outcome": o.outcome, "error": o.error, "notes": o.notes, "actions": actions}))
    return 0
