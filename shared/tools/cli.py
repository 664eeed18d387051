"""The command line: replay, synth, status, approve, jobs, complete; send and demo (a contract other tools use)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from shared.app.settings import Settings
from shared.core import payload
from shared.core.errors import ReactorError
from shared.tools import (
    approvals_cli,
    cli_host,
    cli_rollout,
    cli_watchdog,
    deadletter_cli,
    doctor,
    reconcile_cmd,
    silence_cli,
    synthetic,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 2 on unreadable input or a rejected event."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    args = _parser().parse_args(_keys_attached(sys.argv[1:] if argv is None else list(argv)))
    try:
        result: int = args.run(args)
        return result
    except (ReactorError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


_VALUE_OPTIONS = ("--key", "--eventgrid-key")
_OPTIONS = (
    "--url",
    "--key",
    "--eventgrid-key",
    "--function",
    "--schema",
    "--set",
    "--synth",
    "--state-dir",
    "--in-process",
    "--help",
    "-h",
)


def _keys_attached(argv: list[str]) -> list[str]:
    """`--key -abc` as `--key=-abc`: a key may start with '-', which argparse would take for an option."""
    joined: list[str] = []
    for token in argv:
        if joined and joined[-1] in _VALUE_OPTIONS and token.startswith("-") and token.split("=")[0] not in _OPTIONS:
            joined[-1] = f"{joined[-1]}={token}"
        else:
            joined.append(token)
    return joined


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared", description="MLOps Reactor command line")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    replay = sub.add_parser("replay", help="run a delivery through the core (dry-run unless --apply)")
    replay.add_argument("file", help="a JSON delivery (array or one event, either schema), or - for stdin")
    replay.add_argument("--apply", action="store_true", help="act for real (default: dry-run)")
    replay.add_argument("--json", action="store_true", help="one JSON object on stdout")
    replay.set_defaults(run=_replay)
    synth = sub.add_parser("synth", help="print a valid synthetic event")
    synth.add_argument("type", choices=synthetic.TYPES)
    synth.add_argument("--schema", choices=("eventgrid", "cloudevents"), default="eventgrid")
    synth.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a field")
    synth.set_defaults(run=_synth)
    status = sub.add_parser("status", help="stage and history of a model (version)")
    status.add_argument("model", metavar="MODEL[:VERSION]")
    status.set_defaults(run=_status)
    approve = sub.add_parser("approve", help="approve (or --reject) a staging version")
    approve.add_argument("model", metavar="MODEL:VERSION")
    approve.add_argument("--by", required=True, help="who decides (recorded in the ledger)")
    approve.add_argument("--reject", action="store_true")
    approve.add_argument("--comment", default="")
    approve.set_defaults(run=_approve)
    cli_host.add_commands(sub)  # send, demo: over HTTP against a running host
    doctor.add_command(sub)
    preview = sub.add_parser("preview", help="write every card and email template, rendered from examples")
    preview.add_argument("--out", default="docs/previews", help="folder to write into (default: docs/previews)")
    preview.set_defaults(run=_preview)
    jobs = sub.add_parser("jobs", help="local mode: jobs the workspace simulator holds")
    jobs.set_defaults(run=_jobs)
    complete = sub.add_parser("complete", help="local mode: finish a simulated job and react to its events")
    complete.add_argument("job")
    complete.add_argument("--status", default="Completed")
    complete.add_argument("--metric", action="append", default=[], metavar="NAME=VALUE")
    complete.set_defaults(run=_complete)
    cli_watchdog.add(sub, _local_workspace, _reactor)
    sweep = sub.add_parser("sweep", help="finish events whose delivery stopped after their decision was committed")
    sweep.add_argument("--limit", type=int, default=100)
    sweep.set_defaults(run=_sweep)
    prune = sub.add_parser("prune", help="delete completed events, their done intents and dead letters before a date")
    prune.add_argument("--before", required=True, metavar="YYYY-MM-DD", help="keep everything from this day on")
    prune.add_argument("--apply", action="store_true", help="delete for real (default: count only)")
    prune.set_defaults(run=_prune)
    approvals_cli.add_commands(sub)  # expire-approvals, request-approval
    deadletter_cli.add_command(sub)  # deadletter list|show|replay, deadletter eventgrid list|show|redrive
    reconcile_cmd.add(sub, _reactor)
    silence_cli.add_commands(sub)  # silence set|list|expire|expire-due, retrain-budget reset
    cli_rollout.add_commands(sub)  # rollout advance
    return parser


def _sweep(args: argparse.Namespace) -> int:
    finished = _reactor().sweep(limit=args.limit)
    for o in finished:
        print(f"{o.id}  {o.type}  {o.outcome}" + (f"  error: {o.error}" if o.error else ""))
    print(f"{len(finished)} stalled event(s) finished")
    return 0


def _prune(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    try:
        before = datetime.fromisoformat(args.before).replace(tzinfo=UTC)
    except ValueError:
        print(f"error: --before {args.before!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    reactor = _reactor()
    if before > reactor.clock.now() - timedelta(days=2):
        print(
            "error: --before must be at least 2 days ago: Event Grid redelivers for up to 24 hours, and a "
            "redelivery of a pruned event would run again",
            file=sys.stderr,
        )
        return 2
    counts = reactor.store.prune(before.isoformat(), apply=args.apply)
    verb = "deleted" if args.apply else "would delete (dry run; --apply deletes)"
    print(f"{verb}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0


def _reactor() -> Any:
    from shared.app.bootstrap import reactor

    return reactor()


def _replay(args: argparse.Namespace) -> int:
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        body = payload.loads(raw, max_bytes=Settings.from_env().max_body_bytes)  # bounded, as over HTTP
    except (OSError, ValueError, ReactorError) as exc:
        print(f"error: cannot read a JSON delivery from {args.file}: {exc}", file=sys.stderr)
        return 2
    outcomes = _reactor().handle_delivery(body, dry_run=not args.apply, replayed=True)
    if args.json:
        print(json.dumps({"events": [o.as_json() for o in outcomes]}, default=str))
    else:
        for o in outcomes:
            print(f"{o.id}  {o.type}  {o.outcome}{'  (dry-run)' if not args.apply else ''}")
            for action in o.actions:
                detail = action.get("job_name") or action.get("environment") or action.get("channel") or ""
                print(f"    {action['kind']} {detail} {action.get('status', 'planned')}")
            for note in o.notes:
                print(f"    note: {note}")
            if o.error:
                print(f"    error: {o.error}")
    return 2 if any(o.outcome == "rejected" for o in outcomes) else 0


def _synth(args: argparse.Namespace) -> int:
    fields = synthetic.fields_from(args.set)
    print(
        json.dumps(synthetic.build(args.type, Settings.from_env().workspace_id, schema=args.schema, **fields), indent=2)
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    model, _, version = args.model.partition(":")
    store = _reactor().store
    records = [r for r in store.records(model) if not version or r.version == version]
    if not records:
        print(f"no record of {args.model}", file=sys.stderr)
        return 1
    for record in sorted(records, key=lambda r: (len(r.version), r.version)):
        print(f"{record.key}  {record.stage}" + (f"  approved by {record.approved_by}" if record.approved_by else ""))
        for step in record.history:
            by = f" by {step['by']}" if step.get("by") else ""
            env = f"  [{step['env']}]" if step.get("env") else ""
            print(f"    {step['at']}  {step['from']} -> {step['to']}  {step['reason']}{by}{env}")
        if record.approval:  # the approval request: who approved so far, and until when
            votes = ", ".join(v.get("by", "") for v in record.approval.get("votes", ())) or "none yet"
            until = "expired" if record.approval.get("expired") else record.waiting_until or "-"
            print(f"    request {record.approval.get('key')}: approvals {votes}; expires {until}")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from shared.web import http_api

    model, _, version = args.model.partition(":")
    if not version:
        raise ValueError("approve expects MODEL:VERSION")
    fields = {"decision": "reject" if args.reject else "approve", "approver": args.by, "comment": args.comment}
    status, body = http_api.decide_approval(_reactor(), model, version, fields, {}, trust_body_identity=True)
    print(json.dumps(body, indent=2, default=str))
    return 0 if status == 200 else 2


def _preview(args: argparse.Namespace) -> int:
    from shared.tools import preview

    written = preview.write(Path(args.out))
    print(f"wrote {len(written)} files under {args.out} (open index.html)")
    return 0


def _local_workspace() -> Any:
    workspace = _reactor().workspace
    if not hasattr(workspace, "complete_job"):
        raise ValueError("this command needs REACTOR_MODE=local (the workspace simulator)")
    return workspace


def _jobs(args: argparse.Namespace) -> int:
    for job in _local_workspace().jobs():
        print(f"{job['name']}  {job['purpose']}  {job['model']}:{job['version'] or '-'}  {job['status']}")
    return 0


def _complete(args: argparse.Namespace) -> int:
    metrics = {}
    for item in args.metric:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--metric expects NAME=VALUE (got {item!r})")
        metrics[name] = float(value)
    emitted = _local_workspace().complete_job(args.job, args.status, metrics)
    for o in _reactor().handle_delivery(emitted):
        print(
            json.dumps(
                {k: v for k, v in asdict(o).items() if k != "actions"}
                | {"actions": [f"{a['kind']}:{a.get('status')}" for a in o.actions]},
                default=str,
            )
        )
    return 0
