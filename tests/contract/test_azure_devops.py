"""Azure DevOps Runs API against a local server: request shape, auth, stage skipping, and failures."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from shared.adapters.cd.azure_devops import ADO_SCOPE, AzureDevOpsDeployer
from shared.core.actions import TriggerCD
from shared.core.errors import TransientError, UpstreamRejected
from tests.contract import shapes
from tests.contract.stub_server import Answer, StubServer

STAGING = TriggerCD(key="evt-1:cd:staging", environment="staging", target="ado", model="credit-risk", version="7")
PRODUCTION = replace(STAGING, key="evt-2:cd:production", environment="production", approved_by="lead@contoso")


def test_a_run_carries_string_template_parameters_and_the_ref(ado: AzureDevOpsDeployer, ado_server: StubServer) -> None:
    receipt = ado.deploy(STAGING)

    body = ado_server.seen[0].json()
    assert body["templateParameters"] == {
        "model": "credit-risk",
        "version": "7",
        "environment": "staging",
        "correlationId": "evt-1:cd:staging",
    }
    assert body["resources"] == {"repositories": {"self": {"refName": "refs/heads/main"}}}
    assert receipt.ref == "ado-run-101"
    assert receipt.url.endswith("buildId=101")


def test_staging_skips_the_production_stage_and_production_does_not(
    ado: AzureDevOpsDeployer, ado_server: StubServer
) -> None:
    ado.deploy(STAGING)
    ado.deploy(PRODUCTION)

    staging, production = (s.json() for s in ado_server.seen)
    assert staging["stagesToSkip"] == ["Production"]
    assert "stagesToSkip" not in production
    assert production["templateParameters"]["approvedBy"] == "lead@contoso"


def test_a_pat_is_sent_as_basic_auth_with_an_empty_user(ado: AzureDevOpsDeployer, ado_server: StubServer) -> None:
    ado.deploy(STAGING)

    header = ado_server.seen[0].headers["authorization"]
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == f":{shapes.ADO_PAT}"


def test_without_a_pat_the_entra_token_is_a_bearer_token(ado_server: StubServer) -> None:
    asked: list[str] = []

    def provider() -> str:
        asked.append("token")
        return shapes.ADO_TOKEN

    deployer = AzureDevOpsDeployer(
        organization="contoso", project="ml", pipeline_id=42, token_provider=provider, base_url=ado_server.url
    )
    deployer.deploy(STAGING)

    assert ado_server.seen[0].headers["authorization"] == f"Bearer {shapes.ADO_TOKEN}"
    assert asked == ["token"]
    assert ADO_SCOPE == "499b84ac-1321-427f-aa17-267ca6975798/.default"


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (400, "declares the parameters model, version, environment, correlationId and approvedBy"),
        (401, "the PAT in REACTOR_ADO_PAT was not accepted"),
        (403, "'Queue builds'"),
        (
            404,
            "Azure DevOps answered 404 for pipeline 42 in contoso/ml: check the policy's cd_targets "
            "organization/project/pipeline_id",
        ),
        (422, "check the pipeline's parameters"),
    ],
)
def test_a_client_error_is_permanent_and_says_what_to_fix(
    ado: AzureDevOpsDeployer, ado_server: StubServer, status: int, fix: str
) -> None:
    ado_server.answer(Answer(status, {"message": "Unexpected parameter 'model'"}))

    with pytest.raises(UpstreamRejected) as caught:
        ado.deploy(STAGING)

    assert fix in str(caught.value)
    assert shapes.ADO_PAT not in str(caught.value)


def test_a_sign_in_page_instead_of_a_run_is_a_refused_credential(
    ado: AzureDevOpsDeployer, ado_server: StubServer
) -> None:
    ado_server.answer(Answer(203, b"<html>Sign in</html>", headers={"Content-Type": "text/html"}))

    with pytest.raises(UpstreamRejected, match="credentials were not accepted"):
        ado.deploy(STAGING)


def test_throttling_then_success_retries_in_process(
    ado: AzureDevOpsDeployer, ado_server: StubServer, sleeps: list[float]
) -> None:
    ado_server.answer(Answer(429, headers={"Retry-After": "3"}))

    assert ado.deploy(STAGING).ref.startswith("ado-run-")
    assert sleeps == [3.0]


def test_a_server_error_is_transient(ado: AzureDevOpsDeployer, ado_server: StubServer) -> None:
    ado_server.answer(Answer(503, headers={"Retry-After": "30"}))

    with pytest.raises(TransientError) as caught:
        ado.deploy(STAGING)
    assert caught.value.retry_after == 30.0
