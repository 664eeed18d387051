"""Policy: the shipped file is valid; errors name the file, the path inside it and what was expected."""

from pathlib import Path

import pytest
import yaml

from shared.app.settings import APP_ROOT
from shared.core.errors import PolicyError
from shared.core.policy import load_policy, parse_policy

SHIPPED = APP_ROOT / "policy.yaml"


def shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text())


def test_shipped_policy_is_valid_and_has_a_default_rule() -> None:
    policy = load_policy(SHIPPED)
    assert policy.rule_for("never-seen-model", {}).match == "*"
    assert (APP_ROOT / policy.rule_for("x", {}).test_job).is_file()
    assert all((APP_ROOT / r.retrain_job).is_file() for r in policy.drift.rules)


def test_missing_default_rule_is_refused() -> None:
    doc = shipped()
    doc["models"][0]["match"] = "credit-*"
    with pytest.raises(PolicyError, match="default rule"):
        parse_policy(doc, "p.yaml")


def test_error_names_file_path_and_expectation(tmp_path: Path) -> None:
    doc = shipped()
    doc["models"][0]["gate"]["thresholds"][0]["min"] = "high"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert str(path) in message
    assert "models.0.gate.thresholds.0.min" in message
    assert "valid number" in message


def test_unknown_channel_and_cd_target_are_located() -> None:
    doc = shipped()
    doc["models"][0]["notify"]["verdict"] = ["nowhere"]
    with pytest.raises(PolicyError, match=r"models\.0\.notify\.verdict: unknown channel"):
        parse_policy(doc)
    doc = shipped()
    doc["models"][0]["cd"]["production"] = "missing-target"
    with pytest.raises(PolicyError, match=r"models\.0\.cd\.production: unknown CD target"):
        parse_policy(doc)


def test_unknown_keys_are_refused_so_typos_surface() -> None:
    doc = shipped()
    doc["oncall"]["group_windw_minutes"] = 5
    with pytest.raises(PolicyError, match=r"oncall\.group_windw_minutes"):
        parse_policy(doc)


def test_yaml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("models: [\n")
    with pytest.raises(PolicyError, match=r"broken\.yaml: not valid YAML"):
        load_policy(path)


def test_rules_match_by_glob_and_tags() -> None:
    doc = shipped()
    special = {**doc["models"][0], "match": "fraud-*", "tags": {"team": "risk"}, "approvers": ["cro@x"]}
    policy = parse_policy({**doc, "models": [special, *doc["models"]]})
    assert policy.rule_for("fraud-v2", {"team": "risk"}).approvers == ("cro@x",)
    assert policy.rule_for("fraud-v2", {"team": "ops"}).match == "*"


def test_drift_rule_matches_v1_name_and_v2_signal_prefix() -> None:
    policy = load_policy(SHIPPED)
    assert policy.drift_rule("credit-risk-monitor") is not None
    assert policy.drift_rule("credit-risk-monitor_data_drift") is not None
    assert policy.drift_rule("credit-risk-monitorx") is None


def test_environment_of_a_service_prefers_its_tag() -> None:
    policy = load_policy(SHIPPED)
    assert policy.environment_of("svc-prod", {"Environment": "staging"}) == "staging"
    assert policy.environment_of("svc-prod", {}) == "production"
    assert policy.environment_of("svc-stg", {}) == "staging"
    assert policy.environment_of("svc", {}) is None
