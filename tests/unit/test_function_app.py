"""The function app as the Functions host indexes it: names, triggers, routes, auth; a cheap import."""

import json
import subprocess
import sys

import azure.functions as func
import pytest

from shared.app.settings import APP_ROOT

EXPECTED = {
    "aml_events": ("eventGridTrigger", None, None, None),
    "aml_cloudevents": ("eventGridTrigger", None, None, None),
    "replay": ("httpTrigger", "replay", ["POST"], "FUNCTION"),
    "deployments": ("httpTrigger", "deployments", ["POST"], "FUNCTION"),
    "approvals": ("httpTrigger", "approvals/{model}/{version}", ["GET", "POST"], "FUNCTION"),
    "approval_renewal": ("httpTrigger", "approvals/{model}/{version}/request", ["POST"], "FUNCTION"),
    "ledger": ("httpTrigger", "ledger/{kind}/{key?}/{version?}", ["GET"], "FUNCTION"),
    "health": ("httpTrigger", "health", ["GET"], "ANONYMOUS"),
    "sweep": ("timerTrigger", None, None, None),
    "deadletters": ("httpTrigger", "deadletters", ["GET"], "FUNCTION"),
    "deadletters_redrive": ("httpTrigger", "deadletters/redrive", ["POST"], "FUNCTION"),
    "deadletters_eventgrid": ("httpTrigger", "deadletters/eventgrid", ["GET"], "FUNCTION"),
    "deadletters_eventgrid_redrive": ("httpTrigger", "deadletters/eventgrid/redrive", ["POST"], "FUNCTION"),
    "reconcile": ("timerTrigger", None, None, None),
    "silences": ("httpTrigger", "silences/{silence?}/{action?}", ["GET", "POST", "DELETE"], "FUNCTION"),
    "retrain_budgets": ("httpTrigger", "retrain-budgets/{model}/reset", ["POST"], "FUNCTION"),
    "warmup": ("warmupTrigger", None, None, None),
}


@pytest.fixture(scope="module")
def functions() -> list[func.Function]:
    """Index once: azure-functions refuses a second get_functions() on the same app."""
    import function_app

    return function_app.app.get_functions()


@pytest.fixture(scope="module")
def indexed(functions: list[func.Function]) -> dict[str, dict]:
    return {f.get_function_name(): json.loads(f.get_function_json()) for f in functions}


def test_every_function_has_its_name_trigger_route_and_auth(indexed: dict[str, dict]) -> None:
    assert set(indexed) == set(EXPECTED)
    for name, (trigger, route, methods, auth) in EXPECTED.items():
        binding = indexed[name]["bindings"][0]
        assert binding["type"] == trigger, name
        assert binding.get("route") == route, name
        assert binding.get("methods") == methods, name
        assert binding.get("authLevel") == auth, name


def test_import_loads_no_heavy_sdk_and_reads_no_settings() -> None:
    probe = (
        "import sys, function_app\n"
        "heavy = [m for m in ('azure.ai.ml', 'mlflow', 'azure.communication.email', 'azure.data.tables',"
        " 'azure.identity', 'shared.app.bootstrap', 'shared.engine.reactor') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    env = {"PATH": "/usr/bin:/bin", "REACTOR_MODE": "bogus"}  # a bad setting must not break indexing
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=APP_ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_health_is_anonymous_and_reveals_nothing() -> None:
    from functions.health import health

    response = health(func.HttpRequest("GET", "/api/health", body=b""))
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {"status": "ok"}


def test_reconcile_runs_on_the_schedule_the_app_setting_names(indexed: dict[str, dict]) -> None:
    from shared.core.setting_names import RECONCILE_SCHEDULE

    binding = indexed["reconcile"]["bindings"][0]
    assert binding["schedule"] == f"%{RECONCILE_SCHEDULE}%"
    sample = json.loads((APP_ROOT / "local.settings.sample.json").read_text())["Values"]
    assert sample[RECONCILE_SCHEDULE] == "0 */5 * * * *"


def test_the_warmup_function_binds_as_the_worker_checks_it(
    functions: list[func.Function], indexed: dict[str, dict]
) -> None:
    import typing

    from azure.functions.warmup import WarmUpTriggerConverter

    [warmup] = [f.get_user_function() for f in functions if f.get_function_name() == "warmup"]
    annotation = typing.get_type_hints(warmup)[indexed["warmup"]["bindings"][0]["name"]]
    assert WarmUpTriggerConverter.check_input_type_annotation(annotation)
