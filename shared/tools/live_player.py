"""The live demo's player: it plays Azure ML (the workspace simulator), Event Grid, CD and the approver."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.adapters.workspace.local import LocalWorkspace
from shared.engine.reactor import Outcome
from shared.tools import synthetic
from shared.tools.client import HostClient
from shared.tools.demo import Timeline

MODEL = "credit-risk"
APPROVER = "ml-lead@contoso.example"


class DemoError(RuntimeError):
    """The host is not there, refuses the keys, or is not the one whose simulator the demo drives."""


class LiveDemo:
    """Plays Azure ML (the workspace simulator), Event Grid, CD and the approver against one host."""

    def __init__(
        self, client: HostClient, workspace: LocalWorkspace, outbox: Path, out: Callable[[str], None] = print
    ) -> None:
        self.client = client
        self.workspace = workspace
        self.outbox = outbox
        self.line = Timeline(out)
        self.detail = True
        self.champion_auc = 0.0
        self.delivered: list[dict[str, Any]] = []
        self.seen = set(outbox.glob("*.txt")) if outbox.is_dir() else set()

    def say(self, text: str) -> None:
        """A step of the story."""
        self.line.say(text)

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """Post each event as Event Grid would (one per request), then show what the host did with it."""
        for event in events:
            self.delivered.append(event)
            self.post([event])
            self.show_event(event)

    def post(self, events: list[dict[str, Any]], delivery_count: int = 1) -> int:
        """One delivery to the webhook; anything but 202 stops the demo."""
        answer = self.client.deliver(events, delivery_count=delivery_count)
        if answer.status_code != 202:
            raise DemoError(f"the webhook answered {answer.status_code}: {answer.text[:300]}")
        return answer.status_code

    def show_event(self, event: dict[str, Any]) -> None:
        """What the ledger says the host did with one event (printed when in detail)."""
        entries = self.entries(str(event["id"]))
        for entry in entries[-1:]:
            self._show(entry["event_type"], entry["outcome"], entry.get("detail", {}))
        if not entries and self.detail:
            kind = str(event.get("eventType") or event.get("type")).rsplit(".", 1)[-1]
            self.line.out(f"          {kind}: nothing recorded (the same run and status arrived already)")

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """An /api call whose answer is one event's outcome."""
        answer = self.client.api(method, path, body)
        if answer.status_code >= 500 or answer.status_code in (401, 403, 404):
            raise DemoError(f"{method} /api/{path} answered {answer.status_code}: {answer.text[:300]}")
        result: dict[str, Any] = answer.json()
        recorded = (self.entries(str(result.get("id"))) or [{}])[-1].get("detail", {})
        self._show(result.get("type", ""), result.get("outcome", ""), {**result, **recorded})
        return result

    def _show(self, event_type: str, outcome: str, detail: dict[str, Any]) -> None:
        if self.detail:
            self.line.show(
                [
                    Outcome(
                        id="",
                        type=event_type,
                        outcome=outcome,
                        actions=tuple(detail.get("actions", [])),
                        error=detail.get("error"),
                    )
                ]
            )
            for step in detail.get("transitions", []):
                self.line.out(f"          stage {step['model']}:{step['version']} -> {step['to']} ({step['reason']})")
        self.mail()

    def mail(self) -> None:
        """New messages in the host's outbox (Teams cards and emails, locally)."""
        for path in sorted(set(self.outbox.glob("*.txt")) - self.seen, key=lambda p: p.stat().st_mtime_ns):
            self.seen.add(path)
            if self.detail:
                self.line.out(f"          outbox: {path.read_text(encoding='utf-8').splitlines()[0]}")

    def finish(self, purpose: str, version: str | None = None, **metrics: float) -> None:
        """Azure ML finishes the queued job (the simulator); its events go to the host."""
        queued = [
            j
            for j in self.workspace.jobs(status="Queued")
            if j["purpose"] == purpose and j["model"] == MODEL and (version is None or j["version"] == version)
        ]
        if not queued:
            raise DemoError(
                f"no queued {purpose} job in the workspace simulator at {self.workspace.path}: "
                "run the demo with the host's REACTOR_STATE_DIR (or --state-dir), in local mode"
            )
        job = queued[-1]
        if job.get("champion_version") and "auc" in metrics:
            metrics.setdefault("champion_auc", self.champion_auc)
        self.say(f"Azure ML finishes {job['name']} {_fmt(metrics) if metrics else ''}".rstrip())
        self.deliver(self.workspace.complete_job(job["name"], "Completed", metrics))

    def report(self, version: str, environment: str) -> None:
        """CD tells the host a deployment finished: POST /api/deployments."""
        self.say(f"CD reports {MODEL}:{version} deployed to {environment} (POST /api/deployments)")
        self.call(
            "POST",
            "deployments",
            {
                "model": MODEL,
                "version": version,
                "environment": environment,
                "status": "succeeded",
                "run_url": f"https://ci.example/runs/{version}",
            },
        )

    def decide(self, version: str, decision: str, comment: str) -> None:
        """The approver decides: POST /api/approvals/{model}/{version}."""
        self.say(f"{APPROVER} {decision}s {MODEL}:{version} (POST /api/approvals/{MODEL}/{version})")
        self.call(
            "POST", f"approvals/{MODEL}/{version}", {"decision": decision, "approver": APPROVER, "comment": comment}
        )

    def promote(self, version: str, auc: float) -> None:
        """Test -> gate -> staging -> approval -> production for a registered version."""
        self.finish("offline_test", version, auc=auc, latency_ms=120)
        self.report(version, "staging")
        self.say(f"approval requested: {self.client.approval_page(MODEL, version)}")
        self.decide(version, "approve", "offline metrics and staging smoke test look good")
        self.report(version, "production")
        self.champion_auc = auc

    def register(self, who: str) -> dict[str, Any]:
        """A data scientist registers the next version (the simulator emits ModelRegistered)."""
        event = self.workspace.register_model(MODEL)
        self.say(f"{who} registers {MODEL}:{event['data']['modelVersion']}")
        self.deliver([event])
        return event

    def storm(self, count: int = 200, batch: int = 20) -> tuple[int, int]:
        """`count` failed runs in one experiment, in batched deliveries; returns (alerts sent, grouped)."""
        events = [
            synthetic.build(
                "run_status_changed", self.workspace.workspace_id, experiment="nightly-training", status="Failed"
            )
            for _ in range(count)
        ]
        for start in range(0, count, batch):
            self.post(events[start : start + batch])
        actions = [
            a
            for e in events
            for entry in self.entries(str(e["id"]))
            for a in entry.get("detail", {}).get("actions", [])
        ]
        self.mail()
        return (sum(a.get("status") == "done" for a in actions), sum(a.get("status") == "grouped" for a in actions))

    def entries(self, event_id: str) -> list[dict[str, Any]]:
        """The ledger's entries for one event, quietly."""
        answer = self.client.api("GET", f"ledger/events/{event_id}")
        return list(answer.json().get("ledger", [])) if answer.status_code == 200 else []


def _fmt(metrics: dict[str, float]) -> str:
    return "with " + ", ".join(f"{k}={v:g}" for k, v in metrics.items())
