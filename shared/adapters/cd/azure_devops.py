"""Deployer on Azure DevOps Pipelines: one run per request through the Runs API (REST, `requests`)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests

from shared.adapters.cd.common import parameters, require_approval
from shared.adapters.http_errors import Retry, Upstream, send
from shared.adapters.identity import azure_credential
from shared.adapters.recent import Recent
from shared.core.actions import TriggerCD
from shared.core.errors import PolicyError, TransientError, UpstreamRejected
from shared.core.ports import Receipt
from shared.core.setting_names import ADO_PAT

ADO_URL = "https://dev.azure.com"
ADO_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
API_VERSION = "7.1"

TokenProvider = Callable[[], str]


class AzureDevOpsDeployer:
    """Runs pipeline `pipeline_id`; deploying to staging skips `production_stage`."""

    def __init__(
        self,
        *,
        organization: str,
        project: str,
        pipeline_id: int,
        ref: str = "main",
        production_stage: str | None = None,
        pat: str | None = None,
        token_provider: TokenProvider | None = None,
        base_url: str = ADO_URL,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        retry: Retry | None = None,
    ) -> None:
        if not organization or not project or not pipeline_id:
            raise PolicyError("Azure DevOps CD target: organization, project and pipeline_id are required")
        self.where = f"pipeline {pipeline_id} in {organization}/{project}"
        self.url = (
            f"{base_url.rstrip('/')}/{quote(organization, safe='')}/{quote(project, safe='')}"
            f"/_apis/pipelines/{int(pipeline_id)}/runs?api-version={API_VERSION}"
        )
        self.ref = ref if ref.startswith("refs/") else f"refs/heads/{ref}"
        self.production_stage = production_stage
        self._pat = pat
        self._token_provider = token_provider or (None if pat else ManagedIdentityToken())
        self.session = session or requests.Session()
        self.timeout, self.retry = timeout, retry
        self._done: Recent[Receipt] = Recent()

    def deploy(self, request: TriggerCD) -> Receipt:
        """Start one run per request key; answers the run id and its web link."""
        require_approval(request, f"Azure DevOps ({self.where})")
        done = self._done.get(request.key)
        if done is not None:
            return done
        values = parameters(request)
        body: dict[str, Any] = {
            "templateParameters": {
                "model": values["model"],
                "version": values["version"],
                "environment": values["environment"],
                "correlationId": values["correlation_id"],
                **({"approvedBy": values["approved_by"]} if "approved_by" in values else {}),
            },
            "resources": {"repositories": {"self": {"refName": self.ref}}},
        }
        if request.environment == "staging" and self.production_stage:
            body["stagesToSkip"] = [self.production_stage]
        authorization = self._authorization()
        response = send(
            self.session,
            "POST",
            self.url,
            self._upstream(authorization),
            timeout=self.timeout,
            retry=self.retry,
            json=body,
            headers={"Authorization": authorization, "Accept": "application/json"},
        )
        receipt = self._receipt(response)
        self._done.put(request.key, receipt)
        return receipt

    def _authorization(self) -> str:
        if self._pat:
            return "Basic " + base64.b64encode(f":{self._pat}".encode()).decode()
        assert self._token_provider is not None
        return f"Bearer {self._token_provider()}"

    def _receipt(self, response: requests.Response) -> Receipt:
        try:
            run = response.json()
        except ValueError:
            run = None
        # A refused PAT can come back as 203 with a sign-in page instead of a 401.
        if response.status_code == 203 or not isinstance(run, dict) or "id" not in run:
            raise UpstreamRejected(
                f"Azure DevOps answered {response.status_code} without a run for {self.where}: "
                f"the credentials were not accepted; check {ADO_PAT} or the identity's access"
            )
        web = run.get("_links", {}).get("web", {}).get("href") if isinstance(run.get("_links"), dict) else None
        return Receipt(ref=f"ado-run-{run['id']}", url=str(web or run.get("url") or ""))

    def _upstream(self, authorization: str) -> Upstream:
        who = f"the PAT in {ADO_PAT}" if self._pat else "the app's managed identity"
        return Upstream(
            service="Azure DevOps",
            subject=self.where,
            secrets=(authorization.split(" ", 1)[1], self._pat or ""),
            hints={
                400: (
                    "the run was refused: check that the pipeline declares the parameters model, version, environment,"
                    " correlationId and approvedBy, and that production_stage names a stage of the pipeline"
                ),
                401: f"{who} was not accepted: check it is valid and added to the organization",
                403: f"{who} may not queue this pipeline: grant it 'Queue builds' on the pipeline",
                404: "check the policy's cd_targets organization/project/pipeline_id",
                422: "the run parameters were refused: check the pipeline's parameters and the ref",
            },
        )


class ManagedIdentityToken:
    """Entra tokens for Azure DevOps from DefaultAzureCredential (the app's managed identity), built on first use."""

    def __init__(self) -> None:
        self._credential: Any = None

    def __call__(self) -> str:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            if self._credential is None:
                self._credential = azure_credential()
            return str(self._credential.get_token(ADO_SCOPE).token)
        except ClientAuthenticationError as exc:
            raise TransientError(
                "cannot get an Entra token for Azure DevOps from the managed identity (is AZURE_CLIENT_ID right?)"
            ) from exc
