"""The production watchdog's story: CD's deployment is quiet, a hand-made hotfix on production pages once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.adapters.notify.outbox import OutboxNotifier
from shared.app import bootstrap
from shared.tools import synthetic
from shared.tools.demo import MODEL, Timeline, _Story

ENDPOINT = "credit-risk-prod"
CD_IDENTITY = {"writer": "github-actions-cd", "upn": "github-actions-cd"}
PERSON = {"writer": "Mallory Example", "upn": "mallory@contoso.example"}


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """Tell the story on a fresh in-process local app whose state is in `state_dir`."""
    reactor = bootstrap.local(state_dir)
    story = _Story(reactor, Timeline(out))
    say = story.line.say
    say("v1 goes round the loop: gate, staging, approval, production")
    story.first_version()
    endpoints = story.workspace.endpoints
    say(f"CD rolls v1 out to {ENDPOINT} (deployment blue, all traffic): ARM sends two ResourceWriteSuccess")
    story.deliver(endpoints.write_deployment(ENDPOINT, "blue", f"azureml:{MODEL}:1", caller=CD_IDENTITY))
    say("a data scientist registers v2; its offline test is still running")
    story.deliver([story.workspace.register_model(MODEL)])
    say(f"...and hot-fixes v2 into {ENDPOINT} by hand: deployment green, 20% of traffic")
    story.deliver(endpoints.write_deployment(ENDPOINT, "green", f"azureml:{MODEL}:2", traffic=None, caller=PERSON))
    story.deliver([endpoints.set_traffic(ENDPOINT, {"blue": 80, "green": 20}, PERSON)])
    say("she moves green to 50%: the same out-of-band deployment, no second page")
    story.deliver([endpoints.set_traffic(ENDPOINT, {"blue": 50, "green": 50}, PERSON)])
    say("a write to an endpoint of another workspace in the resource group is refused and recorded")
    other = reactor.workspace_id.rsplit("/", 1)[0] + "/other-ws"
    story.deliver([synthetic.build("resource_write", reactor.workspace_id, resource_uri=f"{other}/onlineEndpoints/x")])
    notifier = reactor.notifier
    assert isinstance(notifier, OutboxNotifier)
    pages = [n for n in notifier.sent() if n.template == "out_of_band"]
    say(f"on-call got {len(pages)} out-of-band page(s):")
    for page in pages:
        out(f"          {page.title}")
        for name in ("Deployment", "Stage", "Live traffic", "Written by"):
            out(f"              {name}: {page.facts[name]}")
    say(f"dead letters: {len(reactor.store.dead_letters())} (the out-of-band writes and the refused one)")
