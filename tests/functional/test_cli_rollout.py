"""`python -m shared rollout advance`: one look at the endpoints from the command line; bad options exit 2."""

from __future__ import annotations

from pathlib import Path

import yaml

from shared.app import bootstrap
from shared.app.rollout_policy import with_endpoints
from shared.app.settings import APP_ROOT, Settings
from shared.core.policy import load_policy
from tests.functional.driver import Driver
from tests.functional.test_cli import cli


def test_rollout_advance_reports_the_staging_deployment_once_it_is_provisioned(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "policy.rollout.yaml"
    path.write_text(yaml.safe_dump(with_endpoints(load_policy(APP_ROOT / "policy.yaml")).model_dump(mode="json")))
    settings = Settings.from_env({**settings.env, "REACTOR_POLICY": str(path)})
    drive = Driver(bootstrap.build(settings))
    drive.register()
    drive.finish("offline_test", auc=0.9, latency_ms=100)
    done = cli(settings, "rollout", "advance")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "rollout:credit-risk:1:staging  handled",
        "1 rollout step(s) taken",
    ]
    assert drive.stage("1") == "staging"
    assert cli(settings, "rollout", "advance").stdout == "0 rollout step(s) taken\n"


def test_rollout_advance_refuses_a_limit_that_is_not_a_positive_integer(settings: Settings) -> None:
    done = cli(settings, "rollout", "advance", "--limit", "0")
    assert done.returncode == 2 and "--limit must be a positive integer (got '0')" in done.stderr
