"""Fixtures for contract tests: local servers speaking the documented protocols, adapters pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.cd.azure_devops import AzureDevOpsDeployer
from shared.adapters.cd.github import GitHubDeployer
from shared.adapters.http_errors import Retry
from shared.adapters.notify.acs_email import AcsEmailNotifier
from shared.adapters.notify.teams import TeamsNotifier
from tests.contract import shapes
from tests.contract.mail_sink import MailSink
from tests.contract.stub_server import Answer, Seen, StubServer
from tests.contract.tls import LocalTls, make_tls

TEAMS_PATH = "/workflows/abc123/triggers/manual/paths/invoke"
TEAMS_SIG = "s1gnatureS3cretValue_xyz"
TEAMS_QUERY = f"?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={TEAMS_SIG}"


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> LocalTls:
    """A test CA and a localhost certificate."""
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def sleeps() -> list[float]:
    """What the in-process retry would have slept (tests never sleep)."""
    return []


@pytest.fixture
def retry(sleeps: list[float]) -> Retry:
    """The default bounds, recording sleeps instead of sleeping."""
    return Retry(sleep=sleeps.append)


def _serve(server: StubServer) -> Iterator[StubServer]:
    with server.running():
        yield server
    assert not server.problems, f"requests broke the documented shape: {server.problems}"


@pytest.fixture
def github_server() -> Iterator[StubServer]:
    """GitHub's workflow_dispatch endpoint; answers 204 unless told otherwise."""
    server = StubServer(shapes.github_dispatch("contoso", "ml-deploy", "deploy.yml"))
    server.default = Answer(204)
    yield from _serve(server)


@pytest.fixture
def github(github_server: StubServer, retry: Retry) -> GitHubDeployer:
    """The GitHub deployer pointed at the local server."""
    return GitHubDeployer(
        repo="contoso/ml-deploy",
        workflow="deploy.yml",
        token=shapes.GITHUB_TOKEN,
        api_url=github_server.url,
        timeout=2.0,
        retry=retry,
    )


@pytest.fixture
def ado_server() -> Iterator[StubServer]:
    """Azure DevOps' Runs API; answers a Run unless told otherwise."""
    server = StubServer(shapes.ado_run("contoso", "ml", 42))

    def run(seen: Seen) -> Answer:
        run_id = 100 + len(server.seen)
        web = f"https://dev.azure.com/contoso/ml/_build/results?buildId={run_id}"
        return Answer(200, {"id": run_id, "state": "inProgress", "_links": {"web": {"href": web}}})

    server.responder = run
    yield from _serve(server)


@pytest.fixture
def ado(ado_server: StubServer, retry: Retry) -> AzureDevOpsDeployer:
    """The Azure DevOps deployer (PAT auth) pointed at the local server."""
    return AzureDevOpsDeployer(
        organization="contoso",
        project="ml",
        pipeline_id=42,
        production_stage="Production",
        pat=shapes.ADO_PAT,
        base_url=ado_server.url,
        timeout=2.0,
        retry=retry,
    )


@pytest.fixture
def teams_server() -> Iterator[StubServer]:
    """A Teams Workflows trigger; answers 202 like the real one."""
    server = StubServer(shapes.teams_workflow)
    server.default = Answer(202)
    yield from _serve(server)


@pytest.fixture
def teams_url(teams_server: StubServer) -> str:
    """The workflow URL (a secret)."""
    return teams_server.url + TEAMS_PATH + TEAMS_QUERY


@pytest.fixture
def teams(teams_url: str, retry: Retry) -> TeamsNotifier:
    """The Teams notifier pointed at the local workflow."""
    return TeamsNotifier(webhook_url=teams_url, setting="REACTOR_TEAMS_WEBHOOK_ONCALL", timeout=2.0, retry=retry)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A folder for embedded adapters."""
    return tmp_path / "state"


@pytest.fixture
def smtp_server() -> Iterator[MailSink]:
    """A real aiosmtpd server on a free port (plain SMTP)."""
    sink = MailSink()
    with sink.running() as running:
        yield running


@pytest.fixture
def acs_server(tls: LocalTls) -> Iterator[StubServer]:
    """An HTTPS server speaking the ACS Email send + operation-status protocol, checking HMAC signatures."""
    server = StubServer(tls=tls.server_context())
    server.check = shapes.acs_send(server.url.removeprefix("https://"))
    server.responder = lambda seen: acs_answer(server, seen)
    yield from _serve(server)


def acs_answer(server: StubServer, seen: Seen) -> Answer:
    """202 + Operation-Location for a send; Succeeded for a status poll."""
    if seen.method == "GET":
        return Answer(200, {"id": seen.path.rsplit("/", 1)[1], "status": "Succeeded"})
    op = seen.headers["operation-id"]
    return Answer(
        202,
        {"id": op, "status": "Running"},
        headers={
            "Operation-Location": f"{server.url}/emails/operations/{op}?api-version=2025-09-01",
            "retry-after": "0",
        },
    )


@pytest.fixture
def acs(acs_server: StubServer, tls: LocalTls) -> AcsEmailNotifier:
    """The real EmailClient (connection string auth) pointed at the local HTTPS server, trusting the test CA."""
    return AcsEmailNotifier(
        sender="DoNotReply@contoso.example",
        to=("oncall@contoso.example",),
        connection_string=f"endpoint={acs_server.url}/;accesskey={shapes.ACS_KEY}",
        client_kwargs={"connection_verify": str(tls.ca_file), "retry_total": 0},
        wait_seconds=5.0,
    )
