"""`python -m shared rollout advance`: run the rollout timer's step once (until the reconcile timer calls it)."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any) -> None:
    """The `rollout` command and its `advance` subcommand."""
    rollout = sub.add_parser("rollout", help="Azure ML endpoint rollouts (azureml_endpoint CD targets)")
    actions = rollout.add_subparsers(required=True, metavar="ACTION")
    advance = actions.add_parser("advance", help="look at each endpoint once and take the rollout steps that are due")
    advance.add_argument("--limit", type=_positive, default=50, help="at most this many steps (default 50)")
    advance.set_defaults(run=_advance)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"--limit must be a positive integer (got {text!r})")
    return value


def _advance(args: argparse.Namespace) -> int:
    from shared.app.bootstrap import reactor
    from shared.engine.rollout import advance_rollouts

    taken = advance_rollouts(reactor(), limit=args.limit)
    for o in taken:
        notes = f"  {o.notes[0]}" if o.notes else ""
        print(f"{o.id}  {o.outcome}{notes}" + (f"  error: {o.error}" if o.error else ""))
    print(f"{len(taken)} rollout step(s) taken")
    return 0
