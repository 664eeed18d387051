"""GitHub workflow_dispatch against a local server: the documented request, success answers, and every failure."""

from __future__ import annotations

import socket
import traceback
from dataclasses import replace

import pytest

from shared.adapters.cd.github import GitHubDeployer
from shared.adapters.http_errors import Retry
from shared.core.actions import TriggerCD
from shared.core.errors import PolicyError, TransientError, UpstreamRejected
from tests.contract import shapes
from tests.contract.stub_server import Answer, StubServer

REQUEST = TriggerCD(key="evt-1:cd:staging", environment="staging", target="gh", model="credit-risk", version="7")


def test_dispatch_sends_ref_string_inputs_and_asks_for_run_details(
    github: GitHubDeployer, github_server: StubServer
) -> None:
    github.deploy(REQUEST)

    (seen,) = github_server.seen
    assert seen.json() == {
        "ref": "main",
        "return_run_details": True,
        "inputs": {
            "model": "credit-risk",
            "version": "7",
            "environment": "staging",
            "correlation_id": "evt-1:cd:staging",
        },
    }


def test_a_200_with_run_details_records_the_run_id_and_link(github: GitHubDeployer, github_server: StubServer) -> None:
    github_server.answer(
        Answer(
            200,
            {
                "workflow_run_id": 987654,
                "run_url": "https://api.github.com/x",
                "html_url": "https://github.com/contoso/ml-deploy/actions/runs/987654",
            },
        )
    )

    receipt = github.deploy(REQUEST)

    assert receipt.ref == "github-run-987654"
    assert receipt.url == "https://github.com/contoso/ml-deploy/actions/runs/987654"


def test_a_204_is_success_with_a_link_to_the_workflow(github: GitHubDeployer) -> None:
    receipt = github.deploy(REQUEST)

    assert receipt.ref.startswith("github-dispatch-")
    assert receipt.url == "https://github.com/contoso/ml-deploy/actions/workflows/deploy.yml"


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (400, "ref and the workflow's inputs"),
        (401, "check REACTOR_GITHUB_TOKEN"),
        (403, "'Actions: write' permission on contoso/ml-deploy"),
        (
            404,
            "GitHub answered 404 for workflow deploy.yml in contoso/ml-deploy: check the policy's cd_targets "
            "repo/workflow",
        ),
        (422, "declares the inputs model, version, environment, correlation_id and approved_by"),
    ],
)
def test_a_client_error_is_permanent_and_says_what_to_fix(
    github: GitHubDeployer, github_server: StubServer, status: int, fix: str
) -> None:
    github_server.answer(Answer(status, {"message": 'Unexpected inputs provided: ["x"]'}))

    with pytest.raises(UpstreamRejected) as caught:
        github.deploy(REQUEST)

    assert fix in str(caught.value)
    assert "Unexpected inputs provided" in str(caught.value)
    assert shapes.GITHUB_TOKEN not in str(caught.value)


def test_a_failed_dispatch_is_not_remembered_so_the_retry_sends_again(
    github: GitHubDeployer, github_server: StubServer
) -> None:
    github_server.answer(Answer(500))
    with pytest.raises(TransientError):
        github.deploy(REQUEST)

    github.deploy(REQUEST)

    assert len(github_server.seen) == 2


def test_a_429_with_a_short_retry_after_is_retried_in_process(
    github: GitHubDeployer, github_server: StubServer, sleeps: list[float]
) -> None:
    github_server.answer(Answer(429, headers={"Retry-After": "2"}))

    github.deploy(REQUEST)

    assert sleeps == [2.0]
    assert len(github_server.seen) == 2


def test_a_429_that_persists_becomes_transient_with_retry_after(
    github: GitHubDeployer, github_server: StubServer, sleeps: list[float]
) -> None:
    github_server.answer(*[Answer(429, headers={"Retry-After": "1"})] * 3)

    with pytest.raises(TransientError) as caught:
        github.deploy(REQUEST)

    assert caught.value.retry_after == 1.0
    assert sleeps == [1.0, 1.0]
    assert len(github_server.seen) == 3


def test_a_long_retry_after_is_left_to_the_platform(
    github: GitHubDeployer, github_server: StubServer, sleeps: list[float]
) -> None:
    github_server.answer(Answer(429, headers={"Retry-After": "120"}))

    with pytest.raises(TransientError) as caught:
        github.deploy(REQUEST)

    assert caught.value.retry_after == 120.0
    assert sleeps == []


def test_githubs_403_rate_limit_is_throttling_not_a_permission_problem(
    github: GitHubDeployer, github_server: StubServer
) -> None:
    github_server.answer(
        *[
            Answer(
                403, {"message": "API rate limit exceeded"}, headers={"x-ratelimit-remaining": "0", "Retry-After": "60"}
            )
        ]
    )

    with pytest.raises(TransientError, match="throttling"):
        github.deploy(REQUEST)


def test_a_server_error_is_transient(github: GitHubDeployer, github_server: StubServer) -> None:
    github_server.answer(Answer(502, b"<html>bad gateway</html>", headers={"Content-Type": "text/html"}))

    with pytest.raises(TransientError, match="GitHub answered 502"):
        github.deploy(REQUEST)


def test_a_slow_answer_is_a_transient_timeout(github_server: StubServer) -> None:
    github_server.answer(Answer(204, delay=1.0))
    slow = GitHubDeployer(
        repo="contoso/ml-deploy",
        workflow="deploy.yml",
        token=shapes.GITHUB_TOKEN,
        api_url=github_server.url,
        timeout=0.2,
    )

    with pytest.raises(TransientError, match=r"did not answer within 0\.2s") as caught:
        slow.deploy(REQUEST)
    assert caught.value.__cause__ is not None
    assert caught.value.maybe_done  # the dispatch may have been carried out: the reactor will not resend it


def test_an_unreachable_api_is_transient_and_the_token_stays_out_of_the_trace() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    deployer = GitHubDeployer(
        repo="contoso/ml-deploy",
        workflow="deploy.yml",
        token=shapes.GITHUB_TOKEN,
        api_url=f"http://127.0.0.1:{port}",
        timeout=1.0,
        retry=Retry(sleep=lambda _: None),
    )

    with pytest.raises(TransientError, match="cannot reach GitHub") as caught:
        deployer.deploy(REQUEST)

    assert not caught.value.maybe_done  # refused while connecting: surely never sent
    assert shapes.GITHUB_TOKEN not in "".join(traceback.format_exception(caught.value))


def test_production_carries_the_approver(github: GitHubDeployer, github_server: StubServer) -> None:
    github.deploy(replace(REQUEST, key="evt-2:cd:production", environment="production", approved_by="lead@x"))

    assert github_server.seen[0].json()["inputs"]["approved_by"] == "lead@x"


def test_a_repo_that_is_not_owner_slash_name_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="owner/name"):
        GitHubDeployer(repo="ml-deploy", workflow="deploy.yml", token="t")


def test_an_answer_cut_off_mid_body_is_transient_and_may_have_been_carried_out() -> None:
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def cut_off() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"workf')
        conn.close()

    threading.Thread(target=cut_off, daemon=True).start()
    deployer = GitHubDeployer(
        repo="contoso/ml-deploy",
        workflow="deploy.yml",
        token=shapes.GITHUB_TOKEN,
        api_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
        timeout=2.0,
        retry=Retry(sleep=lambda _: None),
    )
    with pytest.raises(TransientError) as caught:
        deployer.deploy(REQUEST)
    listener.close()
    assert caught.value.maybe_done
