"""Dev / test / prd: a version registered in dev is copied to the registry, staged in test, released in prd."""

from __future__ import annotations

from shared.app.settings import Settings
from shared.core.clock import FixedClock
from shared.tools import synthetic
from shared.web.approval_page import render
from tests.functional.driver import Driver
from tests.functional.envs_kit import REGISTRY, envs_reactor, sibling


def _history_envs(drive: Driver, version: str = "1") -> list[tuple[str, str | None]]:
    record = drive.reactor.store.get_record("credit-risk", version)
    assert record is not None
    return [(str(step["to"]), step.get("env")) for step in record.history if "kind" not in step]


def test_a_dev_version_is_copied_to_the_registry_then_staged_approved_and_released_with_environments(
    settings: Settings, clock: FixedClock
) -> None:
    drive = Driver(envs_reactor(settings, clock))
    _, [registered] = drive.register()
    assert registered.env == "dev" and registered.as_json()["env"] == "dev"
    [verdict, _twin] = drive.finish("offline_test", auc=0.9, latency_ms=100)
    kinds = [(a["kind"], a["status"]) for a in verdict.actions]
    assert kinds[:2] == [("copy_to_registry", "done"), ("trigger_cd", "done")]  # the copy first, then staging
    assert verdict.actions[0]["key"] == "registry:credit-risk:1"
    assert drive.workspace.registry_models(REGISTRY) == [("credit-risk", "1")]
    assert [r.environment for r in drive.cd.requests()] == ["staging"]
    assert drive.report("1", "staging").env == "test"
    assert drive.approve("1").env == "test"
    assert drive.report("1", "production").env == "prd"
    assert drive.stage("1") == "production"
    assert _history_envs(drive) == [
        ("testing", "dev"),
        ("candidate", "dev"),
        ("staging", "test"),
        ("approved", "test"),
        ("production", "prd"),
    ]
    ledger = drive.reactor.store.ledger(model="credit-risk")
    assert {e.detail.get("env") for e in ledger if e.detail} == {"dev", "test", "prd"}
    assert drive.workspace.registry_models(REGISTRY) == [("credit-risk", "1")]  # copied once in all


def test_the_approval_page_shows_the_environment_of_each_step(settings: Settings, clock: FixedClock) -> None:
    drive = Driver(envs_reactor(settings, clock))
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    _, page = render(drive.reactor, "credit-risk", "1")
    assert "[dev]</span>: registered &rarr; testing" in page
    assert "[test]</span>: candidate &rarr; staging" in page
    assert "<th>Registered in</th><td>dev</td>" in page


def test_an_event_from_a_listed_workspace_is_trusted_and_attributed_to_its_environment(
    settings: Settings, clock: FixedClock
) -> None:
    reactor = envs_reactor(settings, clock)
    prd = sibling(reactor.workspace_id, "ml-prd")
    outcome = reactor.handle(synthetic.build("model_registered", prd, model="fraud", version="3"))
    assert outcome.outcome == "handled" and outcome.env == "prd"
    [entry] = reactor.store.ledger(event_id=outcome.id)
    assert entry.detail is not None and entry.detail["env"] == "prd"


def test_an_event_from_an_unlisted_workspace_is_refused_and_recorded(settings: Settings, clock: FixedClock) -> None:
    reactor = envs_reactor(settings, clock)
    stranger = sibling(reactor.workspace_id, "ml-other")
    outcome = reactor.handle(synthetic.build("model_registered", stranger, model="fraud", version="3"))
    assert outcome.outcome == "rejected"
    assert outcome.error is not None and "ml-other" in outcome.error and "ml-prd" in outcome.error
    [letter] = reactor.store.dead_letters()
    assert letter["event_id"] == outcome.id


def test_a_resource_write_in_a_listed_workspace_is_trusted(settings: Settings, clock: FixedClock) -> None:
    reactor = envs_reactor(settings, clock)
    test_ws = sibling(reactor.workspace_id, "ml-test")
    write = synthetic.build("resource_write", test_ws, resource_uri=f"{test_ws}/onlineEndpoints/scoring")
    outcome = reactor.handle(write)
    assert outcome.outcome != "rejected", outcome.error
    assert outcome.env == "test", outcome


def test_a_version_registered_outside_dev_is_not_copied(settings: Settings, clock: FixedClock) -> None:
    reactor = envs_reactor(settings, clock)
    drive = Driver(reactor)
    prd = sibling(reactor.workspace_id, "ml-prd")
    drive.workspace.set_model_tags("credit-risk", "1", {})
    drive.deliver(synthetic.build("model_registered", prd, model="credit-risk", version="1"))
    [verdict, _] = drive.finish("offline_test", auc=0.9, latency_ms=100)
    assert verdict.actions[0]["kind"] == "trigger_cd"
    assert drive.workspace.registry_models(REGISTRY) == []


def test_a_failed_copy_fails_the_staging_cd_which_is_never_sent(settings: Settings, clock: FixedClock) -> None:
    drive = Driver(envs_reactor(settings, clock))
    drive.register()
    drive.workspace.registry_error = "AuthorizationFailed: no write access to the registry"
    [verdict, _] = drive.finish("offline_test", auc=0.9, latency_ms=100)
    copy, cd = verdict.actions[0], verdict.actions[1]
    assert copy["status"] == "failed" and "AuthorizationFailed" in copy["error"]
    assert cd["status"] == "failed" and "registry copy failed" in cd["error"]
    assert drive.cd.requests() == []
    assert verdict.error is not None and "registry copy failed" in verdict.error
    assert any(letter["event_id"] == verdict.id for letter in drive.reactor.store.dead_letters())  # recorded
    [page] = drive.notices("rollout_failed")  # on-call paged once, the owners named
    assert page.title == "Deployment of credit-risk:1 to staging failed"
    assert "registry copy failed" in page.facts["Problem"] and "Owners" in page.facts
    assert drive.stage("1") == "candidate"  # it stops here, as after any refused staging CD


def test_without_workspaces_nothing_changes(settings: Settings, clock: FixedClock, reactor: object) -> None:
    from shared.engine.reactor import Reactor

    assert isinstance(reactor, Reactor)
    drive = Driver(reactor)
    _, [registered] = drive.register()
    assert registered.env is None and "env" not in registered.as_json()
    [verdict, _] = drive.finish("offline_test", auc=0.9, latency_ms=100)
    assert "copy_to_registry" not in [a["kind"] for a in verdict.actions]
    assert _history_envs(drive) == [("testing", None), ("candidate", None)]


def test_the_watchdog_reads_a_prd_endpoint_in_prd_and_knows_the_registry_copy_it_serves(
    settings: Settings, clock: FixedClock
) -> None:
    drive = Driver(envs_reactor(settings, clock))
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    drive.report("1", "staging")
    drive.approve("1")
    drive.report("1", "production")
    prd = sibling(settings.workspace_id, "ml-prd")
    read: list[tuple[str, str]] = []
    simulator = drive.workspace.endpoints

    class InPrd:  # the simulator stands in for prd; the watchdog must ask for prd's endpoint
        def endpoint_models(self, endpoint: str, workspace_id: str = "") -> object:
            read.append((endpoint, workspace_id))
            return simulator.endpoint_models(endpoint)

    drive.reactor.workspace.endpoint_models = InPrd().endpoint_models  # type: ignore[method-assign]
    simulator.write_deployment(
        "credit-risk-prod", "blue", f"azureml://registries/{REGISTRY}/models/credit-risk/versions/1"
    )
    [quiet] = drive.deliver(synthetic.build("resource_write", prd, deployment="blue", writer="CD"))
    simulator.write_deployment(
        "credit-risk-prod", "blue", "azureml://registries/elsewhere/models/credit-risk/versions/1"
    )
    [paged] = drive.deliver(synthetic.build("resource_write", prd, deployment="blue", writer="Mallory"))

    assert read == [("credit-risk-prod", prd), ("credit-risk-prod", prd)]
    assert quiet.error is None and "blue serves credit-risk:1 (production): sanctioned" in quiet.notes
    assert quiet.env == "prd" and paged.error and "unknown to this app" in paged.error
    [page] = drive.notices("out_of_band")
    assert page.facts["Model"] == "azureml://registries/elsewhere/models/credit-risk/versions/1"
