"""The routers the composition root uses: each policy target / channel reaches its adapter, configured from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.notify.outbox import OutboxNotifier
from shared.app.deployers import build_deployer
from shared.app.notifiers import build_notifier
from shared.app.settings import Settings
from shared.core.actions import Notify, TriggerCD
from shared.core.errors import PermanentError, PolicyError
from shared.core.policy import Policy, parse_policy
from tests.contract import shapes
from tests.contract.conftest import TEAMS_PATH, TEAMS_QUERY
from tests.contract.mail_sink import MailSink
from tests.contract.stub_server import StubServer
from tests.contract.tls import LocalTls


def _policy() -> Policy:
    return parse_policy(
        {
            "models": [
                {"match": "*", "test_job": "pipelines/offline_test.yml", "cd": {"staging": "gh", "production": "ado"}}
            ],
            "cd_targets": {
                "local": {"kind": "record"},
                "gh": {"kind": "github", "repo": "contoso/ml-deploy", "workflow": "deploy.yml"},
                "ado": {
                    "kind": "azure_devops",
                    "organization": "contoso",
                    "project": "ml",
                    "pipeline_id": 42,
                    "production_stage": "Production",
                },
            },
            "channels": {
                "files": {"kind": "outbox"},
                "oncall-teams": {"kind": "teams", "webhook_setting": "REACTOR_TEAMS_WEBHOOK_ONCALL"},
                "mail": {"kind": "smtp", "to": ["oncall@contoso.example"]},
                "acs": {"kind": "email", "to": ["oncall@contoso.example"]},
            },
        }
    )


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"REACTOR_MODE": "local", "REACTOR_STATE_DIR": str(tmp_path / "state"), **env})


def _cd(target: str) -> TriggerCD:
    return TriggerCD(key=f"evt:{target}", environment="staging", target=target, model="m", version="1")


def _notice(channel: str) -> Notify:
    return Notify(key=f"evt:{channel}", channel=channel, template="drift", title="Drift detected by mon")


def test_each_cd_target_kind_reaches_its_system(
    tmp_path: Path, github_server: StubServer, ado_server: StubServer
) -> None:
    settings = _settings(
        tmp_path,
        REACTOR_GITHUB_TOKEN=shapes.GITHUB_TOKEN,
        REACTOR_GITHUB_API_URL=github_server.url,
        REACTOR_ADO_PAT=shapes.ADO_PAT,
        REACTOR_ADO_URL=ado_server.url,
    )
    deployer = build_deployer(settings, _policy())

    refs = [deployer.deploy(_cd(t)).ref for t in ("local", "gh", "ado")]

    assert refs[0].startswith("local-cd-") and refs[1].startswith("github-") and refs[2].startswith("ado-run-")
    assert len(github_server.seen) == 1 and len(ado_server.seen) == 1
    assert list((tmp_path / "state" / "cd_requests").glob("*.json"))


def test_a_github_target_without_its_token_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="REACTOR_GITHUB_TOKEN"):
        build_deployer(_settings(tmp_path), _policy()).deploy(_cd("gh"))


def test_an_unknown_target_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="nope"):
        build_deployer(_settings(tmp_path), _policy()).deploy(_cd("nope"))


def test_each_channel_kind_reaches_its_service(
    tmp_path: Path, teams_server: StubServer, smtp_server: MailSink, acs_server: StubServer, tls: LocalTls
) -> None:
    settings = _settings(
        tmp_path,
        REACTOR_TEAMS_WEBHOOK_ONCALL=teams_server.url + TEAMS_PATH + TEAMS_QUERY,
        REACTOR_SMTP_HOST=smtp_server.host,
        REACTOR_SMTP_PORT=str(smtp_server.port),
        REACTOR_SMTP_STARTTLS="false",
        REACTOR_EMAIL_SENDER="reactor@contoso.example",
        REACTOR_ACS_CONNECTION_STRING=f"endpoint={acs_server.url}/;accesskey={shapes.ACS_KEY}",
    )
    notifier = build_notifier(
        settings, _policy(), acs_client_kwargs={"connection_verify": str(tls.ca_file), "retry_total": 0}
    )

    for channel in ("files", "oncall-teams", "mail", "acs"):
        notifier.send(_notice(channel))

    assert [n.channel for n in OutboxNotifier(tmp_path / "state" / "outbox", console=None).sent()] == ["files"]
    assert len(teams_server.seen) == 1
    assert [r.recipients for r in smtp_server.received] == [["oncall@contoso.example"]]
    assert [s.method for s in acs_server.seen] == ["POST", "GET"]


@pytest.mark.parametrize(
    ("channel", "setting"),
    [("oncall-teams", "REACTOR_TEAMS_WEBHOOK_ONCALL"), ("mail", "REACTOR_SMTP_HOST"), ("acs", "REACTOR_ACS_ENDPOINT")],
)
def test_a_channel_missing_its_settings_names_them(tmp_path: Path, channel: str, setting: str) -> None:
    with pytest.raises(PermanentError, match=setting):
        build_notifier(_settings(tmp_path), _policy()).send(_notice(channel))


def test_an_unknown_channel_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="nope"):
        build_notifier(_settings(tmp_path), _policy()).send(_notice("nope"))
