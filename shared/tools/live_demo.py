"""`python -m shared demo`: the whole loop against a running host, over HTTP, printed as a timeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.adapters.workspace.local import LocalWorkspace
from shared.core import events as ev
from shared.tools import synthetic
from shared.tools.client import HostClient
from shared.tools.live_player import MODEL, LiveDemo
from shared.tools.live_player import DemoError as DemoError


def run(
    client: HostClient, workspace: LocalWorkspace, outbox: Path, out: Callable[[str], None] = print
) -> dict[str, str]:
    """Play the story against the host; returns each version's final stage."""
    demo = LiveDemo(client, workspace, outbox, out)
    _preflight(client)
    demo.say(f"host {client.url}; Azure ML simulated by {workspace.path}")
    demo.say(f"-- prologue: {MODEL}:1 goes round the loop into production (details hidden)")
    demo.detail = False
    demo.register("a data scientist")
    demo.promote("1", auc=0.86)
    demo.detail = True
    demo.say(f"-- drift: a model monitor of {MODEL} breaches its threshold")
    demo.deliver([synthetic.build("monitor_breach", workspace.workspace_id, monitor=f"{MODEL}-monitor")])
    demo.finish("retrain")
    demo.promote("2", auc=0.88)
    demo.say("-- a challenger that does not beat the champion")
    demo.register("a data scientist")
    demo.finish("offline_test", "3", auc=0.85, latency_ms=90)
    demo.say("-- a storm: 200 training runs fail in one experiment")
    sent, grouped = demo.storm()
    demo.say(f"          200 failures -> {sent} on-call alert(s), {grouped} grouped into it")
    _duplicate(demo)
    return _history(demo)


def _preflight(client: HostClient) -> None:
    try:
        health = client.api("GET", "health")
    except OSError as exc:
        raise DemoError(f"no host at {client.url} ({type(exc).__name__}): start it with `make run`") from exc
    if health.status_code != 200:
        raise DemoError(f"{client.url}/api/health answered {health.status_code}: is this the MLOps Reactor host?")
    known = client.api("GET", f"ledger/models/{MODEL}")
    if known.status_code == 401:
        raise DemoError("the host refused the function key: pass --key, or run the demo with the host's state dir")
    if known.status_code == 200 and known.json().get("records"):
        raise DemoError(
            f"the host already holds {MODEL}'s history (an earlier demo?): restart it on a clean "
            "state (`make run ARGS=--reset` or `.venv/bin/python -m devhost --reset`), then run the demo"
        )


def _duplicate(demo: LiveDemo) -> None:
    first = demo.workspace.jobs()
    registration = next(
        e for e in demo.delivered if e.get("eventType") == ev.MODEL_REGISTERED and e["data"].get("modelVersion") == "2"
    )
    demo.say(f"-- Event Grid delivers {MODEL}:2's registration again (same event id)")
    status = demo.post([registration], delivery_count=2)
    entries = demo.entries(str(registration["id"]))
    demo.say(
        f"          webhook {status}; ledger entries for the event: {len(entries)}; "
        f"jobs in the workspace: {len(first)} -> {len(demo.workspace.jobs())}: no second effect"
    )


def _history(demo: LiveDemo) -> dict[str, str]:
    demo.say(f"-- history (GET /api/ledger/models/{MODEL})")
    records = demo.client.api("GET", f"ledger/models/{MODEL}").json()["records"]
    stages = {}
    for record in sorted(records, key=lambda r: int(r["version"]) if r["version"].isdigit() else 0):
        stages[record["version"]] = record["stage"]
        by = f" (approved by {record['approved_by']})" if record.get("approved_by") else ""
        demo.line.out(f"          {MODEL}:{record['version']}: {record['stage']}{by}")
        for step in record["history"]:
            who = f" by {step['by']}" if step.get("by") else ""
            demo.line.out(f"              {step['from']} -> {step['to']}: {step['reason']}{who}")
    demo.say(f"outbox: {len(list(demo.outbox.glob('*.txt')))} messages in {demo.outbox}")
    return stages
