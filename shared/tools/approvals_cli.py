"""CLI commands of approval hygiene: expire-approvals (what the reconcile timer runs) and request-approval."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_commands(sub: Any) -> None:
    """Register `expire-approvals` and `request-approval` on the CLI's subparsers."""
    expire = sub.add_parser("expire-approvals", help="expire approval requests older than the policy's expiry")
    expire.add_argument("--limit", type=int, default=100, help="at most this many per run (the rest next time)")
    expire.set_defaults(run=_expire)
    ask = sub.add_parser("request-approval", help="ask for a fresh approval request (after expiry or new evidence)")
    ask.add_argument("model", metavar="MODEL:VERSION")
    ask.add_argument("--by", required=True, help="who asks (recorded in the ledger)")
    ask.set_defaults(run=_request)


def _reactor() -> Any:
    from shared.app.bootstrap import reactor

    return reactor()


def _expire(args: argparse.Namespace) -> int:
    from shared.engine.expiry import expire_approvals

    if args.limit < 1:
        raise ValueError(f"--limit must be at least 1 (got {args.limit})")
    reactor = _reactor()
    outcomes = expire_approvals(reactor, reactor.clock.now(), args.limit)
    for o in outcomes:
        print(
            f"{o.id}  {o.outcome}"
            + (f"  {'; '.join(o.notes)}" if o.notes else "")
            + (f"  error: {o.error}" if o.error else "")
        )
    print(f"{sum(1 for o in outcomes if o.outcome == 'handled')} approval request(s) expired")
    return 0


def _request(args: argparse.Namespace) -> int:
    from shared.web.approval_request import request_fresh

    model, _, version = args.model.partition(":")
    if not model or not version:
        raise ValueError(f"request-approval expects MODEL:VERSION (got {args.model!r})")
    body = json.dumps({"approver": args.by}).encode()
    status, answer = request_fresh(_reactor(), model, version, body, "application/json", {}, trust_body_identity=True)
    print(json.dumps(answer, indent=2, default=str))
    return 0 if status == 200 and not (isinstance(answer, dict) and answer.get("error")) else 2
