"""`python -m shared deadletter list|show|replay` (the app's own) and `deadletter eventgrid list|show|redrive`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from shared.core.dead_letters import query_from
from shared.core.eventgrid_letters import blob_query_from
from shared.core.payload import clean_text

Out = Callable[[str], None]


def add_command(sub: Any) -> None:
    """Register `deadletter` on the CLI's subparsers."""
    letters = sub.add_parser("deadletter", help="the app's dead letters (list, show, replay) and Event Grid's")
    verbs = letters.add_subparsers(required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="dead letters newest first, filtered and paged")
    _filters(listing)
    listing.set_defaults(run=lambda args: list_letters(args))
    show = verbs.add_parser("show", help="one event: what was stored and what the ledger says")
    show.add_argument("event_id")
    show.add_argument("--json", action="store_true", help="one JSON object on stdout")
    show.set_defaults(run=lambda args: show_letter(args))
    replay = verbs.add_parser("replay", help="replay one event (--id) or a page of open letters (dry run)")
    replay.add_argument("--id", help="one stored event by id (as POST /api/replay {'event_id': ...})")
    _filters(replay)
    replay.add_argument("--apply", action="store_true", help="act for real (default: dry run)")
    replay.set_defaults(run=lambda args: replay_letters(args))
    eventgrid = verbs.add_parser("eventgrid", help="Event Grid's dead-letter blobs")
    blob_verbs = eventgrid.add_subparsers(required=True, metavar="VERB")
    blob_list = blob_verbs.add_parser("list", help="blobs (by subscription, day, hour), each event classified")
    _blob_filters(blob_list)
    blob_list.set_defaults(run=lambda args: list_blobs(args))
    blob_show = blob_verbs.add_parser("show", help="one blob's events, as Event Grid sent them")
    blob_show.add_argument("blob", help="the blob name, e.g. MLOPS-REACTOR-MODELS/2026/12/3/7/<guid>.json")
    blob_show.set_defaults(run=lambda args: show_blob(args))
    redrive = blob_verbs.add_parser("redrive", help="run a page of blobs' events through the core (dry run)")
    _blob_filters(redrive)
    redrive.add_argument("--apply", action="store_true", help="act for real and mark the blobs (default: dry run)")
    redrive.add_argument("--again", action="store_true", help="also blobs marked as redriven (duplicates stay so)")
    redrive.set_defaults(run=lambda args: redrive_blobs(args))


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--type", help="only this event type (exact)")
    parser.add_argument("--reason", help="only reasons containing this text (any case)")
    parser.add_argument("--status", help="only letters standing so: open, resolved, superseded or failed")
    parser.add_argument("--since", help="from this ISO date or time (UTC unless a zone is given)")
    parser.add_argument("--until", help="before this ISO date or time")
    parser.add_argument("--limit", default="50", help="letters read for one page (1-500, default 50)")
    parser.add_argument("--cursor", help="go on from a previous page's 'next'")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _blob_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subscription", help="the Event Grid subscription's name (blob names start with it)")
    parser.add_argument("--date", help="only this day, YYYY-MM-DD (with --subscription)")
    parser.add_argument("--hour", type=int, help="only this hour, 0-23 (with --date)")
    parser.add_argument("--limit", default="20", help="blobs for one page (1-500, default 20)")
    parser.add_argument("--cursor", help="go on from a previous page's 'next'")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _query(args: argparse.Namespace) -> Any:
    names = ("type", "reason", "status", "since", "until", "limit", "cursor")
    return query_from({name: getattr(args, name) for name in names})


def _reactor() -> Any:
    from shared.app.bootstrap import reactor

    return reactor()


def _print_json(value: object, out: Out) -> None:
    out(json.dumps(value, indent=2, default=str))


def _shown(text: object, width: int = 100) -> str:
    return clean_text(str(text)).replace("\n", " ")[:width]


def list_letters(args: argparse.Namespace, out: Out = print) -> int:
    page = _reactor().store.dead_letter_page(_query(args))
    if args.json:
        _print_json({"dead_letters": page.letters, "next": page.next}, out)
        return 0
    for x in page.letters:
        out(f"{x['at']}  {_shown(x['event_id'], 60)}  {_shown(x['event_type'], 60)}  {x['status']}")
        out(f"    {_shown(x['reason'], 200)}")
    out(f"{len(page.letters)} letter(s)" + (f"; next page: --cursor {page.next}" if page.next else ""))
    return 0


def show_letter(args: argparse.Namespace, out: Out = print) -> int:
    store = _reactor().store
    raw = store.get_event(args.event_id)
    if raw is None:
        out(f"no stored event with id {_shown(args.event_id)!r}")
        return 1
    ledger = [vars(entry) for entry in store.ledger(event_id=args.event_id)]
    if args.json:
        _print_json({"event": raw, "ledger": ledger}, out)
        return 0
    _print_json(raw, out)
    for entry in ledger:
        error = (entry.get("detail") or {}).get("error")
        out(f"{entry['at']}  {entry['outcome']}" + (f"  {_shown(error, 200)}" if error else ""))
    return 0


def replay_letters(args: argparse.Namespace, out: Out = print) -> int:
    from shared.engine.redrive import redrive

    reactor = _reactor()
    if args.id:
        stored = reactor.store.get_event(args.id)
        if stored is None:
            out(f"no stored event with id {_shown(args.id)!r}")
            return 1
        outcomes = reactor.handle_delivery(stored, dry_run=not args.apply, internal=True, replayed=True)
        report: dict[str, Any] = {"dry_run": not args.apply, "letters": [o.as_json() for o in outcomes]}
        rows = [(o.id, str(o.outcome), o.error) for o in outcomes]
    else:
        done = redrive(reactor, _query(args), dry_run=not args.apply)
        report = done.as_json()
        rows = [(x["event_id"], x["outcome"], x.get("error")) for x in done.letters]
    if args.json:
        _print_json(report, out)
        return 0
    for event_id, outcome, error in rows:
        out(f"{_shown(event_id, 60)}  {outcome}" + (f"  error: {_shown(error, 200)}" if error else ""))
    dry = " (dry run: --apply acts)" if not args.apply else ""
    out(f"{len(rows)} letter(s){dry}" + (f"; next page: --cursor {report['next']}" if report.get("next") else ""))
    return 0


def _blobs() -> Any:
    from shared.app.bootstrap import settings
    from shared.app.letter_blobs import letter_blobs

    return letter_blobs(settings())


def _page(args: argparse.Namespace) -> tuple[str, int]:
    names = ("subscription", "date", "hour", "limit", "cursor")
    query = blob_query_from({name: getattr(args, name) for name in names})
    return query.prefix, query.limit


def list_blobs(args: argparse.Namespace, out: Out = print) -> int:
    from shared.engine.eventgrid_redrive import survey

    prefix, limit = _page(args)
    found = survey(_blobs(), prefix, limit, args.cursor)
    if args.json:
        _print_json(found, out)
        return 0
    for blob in found["blobs"]:
        mark = f"  redriven {blob['redriven_at']} ({blob['outcomes']})" if blob["redriven_at"] else ""
        out(f"{_shown(blob['blob'], 120)}  {blob['created']}{mark}")
        if blob.get("error"):
            out(f"    error: {_shown(blob['error'], 200)}")
        for e in blob["events"]:
            out(f"    {_shown(e['id'], 60)}  {_shown(e['type'], 60)}  {e['reason']}/{e['last_outcome']}")
    out("by reason/last outcome: " + (", ".join(f"{k} {v}" for k, v in found["by_reason"].items()) or "none"))
    if found["next"]:
        out(f"next page: --cursor {found['next']}")
    return 0


def show_blob(args: argparse.Namespace, out: Out = print) -> int:
    from shared.engine.eventgrid_redrive import show

    _print_json(show(_blobs(), args.blob), out)
    return 0


def redrive_blobs(args: argparse.Namespace, out: Out = print) -> int:
    from shared.engine.eventgrid_redrive import redrive_blobs as run

    prefix, limit = _page(args)
    report = run(_reactor(), _blobs(), prefix, limit, args.cursor, dry_run=not args.apply, again=args.again)
    if args.json:
        _print_json(report, out)
        return 0
    for blob in report["blobs"]:
        result = blob.get("result") or blob.get("skipped") or f"error: {blob.get('error')}"
        out(f"{_shown(blob['blob'], 120)}  {result}")
    dry = " (dry run: --apply acts and marks the blobs)" if not args.apply else ""
    out("counts: " + (", ".join(f"{k} {v}" for k, v in report["counts"].items()) or "none") + dry)
    if report["next"]:
        out(f"next page: --cursor {report['next']}")
    return 0
