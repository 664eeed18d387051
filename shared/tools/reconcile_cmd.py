"""`python -m shared reconcile [--limit N] [--json]`: one reconcile run, as the timer does it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1 (anything else: exit 2 naming the option)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def add(sub: Any, reactor: Callable[[], Any]) -> None:
    """Register the `reconcile` command on the CLI's subparsers."""
    parser = sub.add_parser(
        "reconcile", help="notice what no event told: finished or lost jobs, unreported CD, stalled events, silence"
    )
    parser.add_argument("--limit", type=positive, default=None, help="items per step at most (default: policy)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.set_defaults(run=lambda args: run(args, reactor()))


def run(args: argparse.Namespace, reactor: Any) -> int:
    """Reconcile once and say what happened; 0 even when steps must continue next run."""
    from shared.engine.reconcile import reconcile

    report = reconcile(reactor, limit=args.limit)
    summary = report.as_json()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    for o in report.outcomes:
        notes = "; ".join(o.notes)
        print(f"{o.id}  {o.outcome}" + (f"  {notes}" if notes else "") + (f"  error: {o.error}" if o.error else ""))
    fed = ", ".join(f"{n} {what}" for what, n in summary["fed"].items()) or "nothing"
    print(
        f"checked {report.checked} in-flight item(s) with {report.workspace_calls} workspace call(s); fed {fed}; "
        f"swept {report.swept}"
    )
    if report.more:
        print(f"more next run: {', '.join(report.more)}")
    for error in report.errors:
        print(f"error: {error}")
    return 0
