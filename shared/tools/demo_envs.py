"""Dev / test / prd: a dev version copied to the registry, staged in test, released in prd; a stranger refused;
then the same on Azure ML endpoints (simulated): the staging endpoint in test, production in prd."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.app import bootstrap
from shared.app.rollout_policy import PRODUCTION_TARGET, STAGING_TARGET, with_endpoints
from shared.app.settings import APP_ROOT
from shared.core.clock import FixedClock
from shared.core.policy import Policy, load_policy, parse_policy
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from shared.tools.demo import MODEL, Timeline, _Story

REGISTRY = "contoso-models"


def envs_policy(dev: str) -> Policy:
    """The shipped policy with three workspaces (the app's is dev) and a registry."""
    group = dev.rsplit("/", 1)[0]
    document = load_policy(APP_ROOT / "policy.yaml").model_dump()
    document["workspaces"] = [
        {"id": dev, "environment": "dev"},
        {"id": f"{group}/ml-test", "environment": "test"},
        {"id": f"{group}/ml-prd", "environment": "prd"},
    ]
    document["registry"] = REGISTRY
    return parse_policy(document, "demo policy")


def run(state_dir: Path, out: Callable[[str], None] = print) -> None:
    """Tell the story on a fresh in-process local app whose state is in `state_dir`."""
    plain = bootstrap.local(state_dir)
    reactor = bootstrap.local(state_dir, policy=envs_policy(plain.workspace_id))
    story = _Story(reactor, Timeline(out))
    say = story.line.say
    say(f"the policy lists dev (the app's workspace), test and prd, and the registry {REGISTRY}")
    story.first_version()
    say(f"registry {REGISTRY} holds: {story.workspace.registry_models(REGISTRY)}")
    _history(reactor, out)
    say("an event from a workspace the policy does not list is refused and recorded")
    stranger = reactor.workspace_id.rsplit("/", 1)[0] + "/ml-sandbox"
    story.deliver([synthetic.build("model_registered", stranger, model=MODEL, version="9")])
    say(f"dead letters: {len(reactor.store.dead_letters())}")
    _on_endpoints(state_dir / "endpoints", out)


def _on_endpoints(state_dir: Path, out: Callable[[str], None]) -> None:
    """A fresh app whose staging endpoint is in test and production endpoint in prd, each taking the registry copy."""
    from datetime import UTC, datetime

    from shared.tools.demo_rollout import _Rollout

    clock = FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    dev = bootstrap.local(state_dir).workspace_id
    policy = with_endpoints(envs_policy(dev), {"mirror_percent": 0, "canary_percent": 0}, workspaces=("test", "prd"))
    story = _Rollout(bootstrap.local(state_dir, policy=policy, clock=clock), clock, out)
    story.say("-- on Azure ML endpoints (simulated): targets with workspace: test (staging) and workspace: prd")
    version = story.candidate(auc=0.86)
    story.tick()
    story.approve(version)
    story.tick()
    story.tick()
    for target in (STAGING_TARGET, PRODUCTION_TARGET):
        for name, body in story.endpoints.deployments(target).items():
            where = f"endpoint {policy.cd_targets[target].endpoint} in {body['workspace_env']}"
            out(f"          {target}: {name} on {where}, model {body['model_ref']}")
    _history(story.reactor, out)


def _history(reactor: Reactor, out: Callable[[str], None]) -> None:
    record = reactor.store.get_record(MODEL, "1")
    if record is None:
        return
    out(f"          history of {record.key}, each step with its environment:")
    for step in record.history:
        out(f"              [{step.get('env', '-')}] {step['from']} -> {step['to']}  {step['reason']}")
    entries = reactor.store.ledger(model=MODEL)
    out(f"          ledger environments: {', '.join(str((e.detail or {}).get('env', '-')) for e in entries)}")
