"""`python -m shared silence set|list|expire|expire-due`, `retrain-budget reset`: the same handlers as HTTP."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")
_HOURS = {"m": 1 / 60, "h": 1.0, "d": 24.0}


def add_commands(sub: Any) -> None:
    """Register `silence` and `retrain-budget` on the main parser's subcommands."""
    silence = sub.add_parser("silence", help="hold back notices for a while: set, list, expire (and expire-due)")
    verbs = silence.add_subparsers(required=True, metavar="VERB")
    put = verbs.add_parser("set", help="hold back notices of a scope matching a glob, until a time")
    put.add_argument("--scope", required=True, choices=("experiment", "model", "monitor", "channel"))
    put.add_argument("--match", required=True, metavar="GLOB", help="e.g. 'nightly-*' (case-insensitive)")
    when = put.add_mutually_exclusive_group(required=True)
    when.add_argument("--for", dest="duration", metavar="DURATION", help="e.g. 30m, 2h, 1d")
    when.add_argument("--until", metavar="TIME", help="an RFC 3339 time, e.g. 2026-11-22T18:00:00Z")
    put.add_argument("--by", required=True, help="who sets it (recorded)")
    put.add_argument("--why", required=True, help="why (recorded, shown when it ends)")
    put.add_argument("--notify", default=None, metavar="CHANNEL", help="where its end is told (default: on-call)")
    put.set_defaults(run=_set)
    listing = verbs.add_parser("list", help="silences not ended, with what each held back (or --ended)")
    listing.add_argument("--ended", action="store_true")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_list)
    end = verbs.add_parser("expire", help="end a silence now; its end notice says what it held back")
    end.add_argument("silence", metavar="ID")
    end.add_argument("--by", required=True)
    end.add_argument("--why", default=None)
    end.set_defaults(run=_expire)
    due = verbs.add_parser("expire-due", help="end the silences whose time passed (what the reconcile timer runs)")
    due.add_argument("--limit", type=int, default=100)
    due.set_defaults(run=_expire_due)
    budget = sub.add_parser("retrain-budget", help="a model's retrain budget")
    budget_verbs = budget.add_subparsers(required=True, metavar="VERB")
    reset = budget_verbs.add_parser("reset", help="retraining resumes: the retrains so far stop counting")
    reset.add_argument("model")
    reset.add_argument("--by", required=True)
    reset.add_argument("--why", required=True)
    reset.set_defaults(run=_reset)


def _reactor() -> Any:
    from shared.app.bootstrap import reactor

    return reactor()


def _show(answer: tuple[int, Any]) -> int:
    status, body = answer
    print(json.dumps(body, indent=2, default=str), file=sys.stdout if status < 400 else sys.stderr)
    return 0 if status < 400 else 2


def _set(args: argparse.Namespace) -> int:
    from shared.web import silences_api

    fields: dict[str, Any] = {"scope": args.scope, "match": args.match, "by": args.by, "why": args.why}
    if args.duration:
        found = _DURATION.match(args.duration.strip())
        if found is None:
            print(f"error: --for {args.duration!r} is not a duration such as 30m, 2h or 1d", file=sys.stderr)
            return 2
        fields["hours"] = float(found.group(1)) * _HOURS[found.group(2)]
    else:
        fields["until"] = args.until
    if args.notify:
        fields["notify"] = args.notify
    return _show(silences_api.create_silence(_reactor(), json.dumps(fields).encode(), None))


def _list(args: argparse.Namespace) -> int:
    from shared.web import silences_api

    params = {"ended": "true" if args.ended else "", "limit": str(args.limit)}
    status, body = silences_api.list_silences(_reactor(), params)
    if args.json or status >= 400:
        return _show((status, body))
    for s in body["silences"]:
        held = ", ".join(f"{n} {kind}" for kind, n in sorted(s["held"].items())) or "nothing held"
        end = f"ended {s['ended_at']} by {s['ended_by']}" if s["ended_at"] else f"until {s['until']}"
        print(f"{s['id']}  {s['scope']} {s['pattern']}  {end}  by {s['by']}: {s['why']}  ({held})")
    print(f"{len(body['silences'])} silence(s)")
    return 0


def _expire(args: argparse.Namespace) -> int:
    from shared.web import silences_api

    fields = {"by": args.by, **({"why": args.why} if args.why else {})}
    return _show(silences_api.expire(_reactor(), args.silence, json.dumps(fields).encode(), None))


def _expire_due(args: argparse.Namespace) -> int:
    from shared.engine.silences import expire_silences

    reactor = _reactor()
    outcomes = expire_silences(reactor, reactor.clock.now(), args.limit)
    for o in outcomes:
        print(f"{o.id}  {o.outcome}" + "".join(f"\n    note: {n}" for n in o.notes))
    print(f"{len(outcomes)} silence(s) ended")
    return 0


def _reset(args: argparse.Namespace) -> int:
    from shared.web import silences_api

    body = json.dumps({"by": args.by, "why": args.why}).encode()
    return _show(silences_api.reset_budget(_reactor(), args.model, body, None))
