"""Commands that talk to a running host over HTTP: `send` (a delivery, as Event Grid) and `demo` (the loop)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import requests

from shared.app.settings import Settings
from shared.core import events as ev
from shared.core.errors import ReactorError
from shared.tools import synthetic
from shared.tools.client import HostClient, host_url, keys_for


def add_commands(sub: Any) -> None:
    """Register `send` and `demo` on the CLI's subparsers."""
    send = sub.add_parser("send", help="POST a delivery to a host's Event Grid webhook (dev host, func start, Azure)")
    source = send.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", help="a JSON delivery (array or one event, either schema), or -")
    source.add_argument("--synth", choices=synthetic.TYPES, metavar="TYPE", help="a synthetic event of TYPE")
    send.add_argument("--schema", choices=("eventgrid", "cloudevents"), default="eventgrid")
    send.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a synthetic field")
    send.add_argument("--function", help="function name (default: aml_events, or aml_cloudevents for CloudEvents)")
    _host_options(send)
    send.set_defaults(run=_send)
    demo = sub.add_parser("demo", help="the whole loop against the running host, as a timeline")
    demo.add_argument("--in-process", action="store_true", help="no host: run the loop in this process")
    demo.add_argument("--state-dir", help="the host's state folder (its workspace simulator and outbox)")
    demo.add_argument("--guardrails", action="store_true", help="in process: each guardrail's story (issue 13)")
    _host_options(demo)
    demo.set_defaults(run=_demo)


def _host_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the host (default REACTOR_HOST_URL or http://localhost:7071)")
    parser.add_argument("--key", help="function key (default REACTOR_FUNCTION_KEY or the dev host's key file)")
    parser.add_argument(
        "--eventgrid-key",
        help="eventgrid_extension system key (default REACTOR_EVENTGRID_KEY or the dev host's key file)",
    )


def _client(args: argparse.Namespace, settings: Settings) -> HostClient:
    return HostClient(host_url(settings, args.url), keys_for(settings, args.key, args.eventgrid_key))


def _send(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    body = _delivery(args, settings)
    client = _client(args, settings)
    try:
        answer = client.deliver(body, args.function)
    except requests.ConnectionError as exc:
        raise OSError(f"no host at {client.url}: start one with `make run` (or func start)") from exc
    print(f"{answer.status_code} {answer.reason}{': ' + answer.text if answer.text else ''}")
    if not answer.ok:
        return 2
    outcomes = [_outcome(client, event) for event in (body if isinstance(body, list) else [body])]
    for line, _ in outcomes:
        print(f"    {line}")
    return 2 if any(kind == "rejected" for _, kind in outcomes) else 0


def _outcome(client: HostClient, event: Any) -> tuple[str, str]:
    """One line on what the host did with an event, from its ledger; and the outcome's kind."""
    event_id = event.get("id") if isinstance(event, dict) else None
    if not isinstance(event_id, str) or not event_id:
        return "an event without an id: see /api/ledger/dead-letters", "unknown"
    answer = client.ledger_event(event_id)
    if answer.status_code == 404:
        try:
            parsed = ev.parse(event)
        except ReactorError as exc:
            return f"{event_id}: not in the ledger ({exc})", "unknown"
        if isinstance(parsed, ev.Ignored):
            return f"{event_id}: ignored: {parsed.reason}", "ignored"
        return f"{event_id}: not in the ledger yet", "unknown"
    if not answer.ok:
        return f"{event_id}: outcome unknown: the ledger answered {answer.status_code} (pass --key?)", "unknown"
    entry = answer.json()["ledger"][-1]
    detail = entry.get("detail") or {}
    kind = str(entry.get("outcome"))
    why = detail.get("error") or "; ".join(detail.get("notes") or [])
    actions = ", ".join(f"{a.get('kind')}={a.get('status')}" for a in detail.get("actions") or [])
    shown = f"{kind}{' (dead-lettered)' if kind == 'rejected' else ''}"
    return f"{event_id} {str(entry.get('event_type')).rsplit('.', 1)[-1]}: {shown}" + (f": {why}" if why else "") + (
        f" [{actions}]" if actions else ""
    ), kind


def _delivery(args: argparse.Namespace, settings: Settings) -> Any:
    if args.synth:
        fields = synthetic.fields_from(args.set)
        return [synthetic.build(args.synth, settings.workspace_id, schema=args.schema, **fields)]
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    return json.loads(text)


def _demo(args: argparse.Namespace) -> int:
    if args.in_process or args.guardrails:
        from shared.tools import demo, demo_guardrails

        story = demo_guardrails.run if args.guardrails else demo.run
        if args.state_dir:
            story(Path(args.state_dir))
            return 0
        with tempfile.TemporaryDirectory(prefix="mlops-reactor-demo-") as folder:  # removed at the end
            story(Path(folder))
        return 0
    from shared.adapters.workspace.local import LocalWorkspace
    from shared.app.settings import APP_ROOT
    from shared.tools import live_demo

    settings = Settings.from_env()
    state = Path(args.state_dir) if args.state_dir else settings.state_dir
    client = HostClient(host_url(settings, args.url), keys_for(settings, args.key, args.eventgrid_key, state))
    workspace = LocalWorkspace(state / "workspace.db", APP_ROOT, settings.workspace_id)
    try:
        live_demo.run(client, workspace, state / "outbox")
    except live_demo.DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
