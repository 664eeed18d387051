"""Deployer on GitHub Actions: one workflow_dispatch per request (REST, `requests`)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import requests

from shared.adapters.cd.common import parameters, require_approval
from shared.adapters.http_errors import Retry, Upstream, send
from shared.adapters.recent import Recent
from shared.core.actions import TriggerCD
from shared.core.errors import PolicyError, UpstreamRejected
from shared.core.ports import Receipt
from shared.core.setting_names import GITHUB_TOKEN

API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
MAX_INPUTS = 25


class GitHubDeployer:
    """Dispatches `workflow` in `repo` at `ref` with the model, version, environment and correlation id as inputs."""

    def __init__(
        self,
        *,
        repo: str,
        workflow: str,
        token: str,
        ref: str = "main",
        api_url: str = API_URL,
        web_url: str = "https://github.com",
        session: requests.Session | None = None,
        timeout: float = 10.0,
        retry: Retry | None = None,
    ) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise PolicyError(f"GitHub CD target: repo must be 'owner/name' (got {repo!r})")
        if not workflow:
            raise PolicyError(f"GitHub CD target for {repo}: workflow (file name or id) is required")
        self.repo, self.workflow, self.ref = repo, workflow, ref
        self.url = (
            f"{api_url.rstrip('/')}/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
            f"/actions/workflows/{quote(workflow, safe='')}/dispatches"
        )
        self.web_url = f"{web_url.rstrip('/')}/{repo}/actions/workflows/{quote(workflow, safe='')}"
        self._token = token
        self.session = session or requests.Session()
        self.timeout, self.retry = timeout, retry
        self._done: Recent[Receipt] = Recent()

    def deploy(self, request: TriggerCD) -> Receipt:
        """Dispatch once per request key; 204 and 200 (with run details) are both success."""
        require_approval(request, f"GitHub ({self.repo})")
        done = self._done.get(request.key)
        if done is not None:
            return done
        inputs = parameters(request)
        if len(inputs) > MAX_INPUTS:
            raise UpstreamRejected(f"GitHub accepts at most {MAX_INPUTS} workflow inputs (got {len(inputs)})")
        response = send(
            self.session,
            "POST",
            self.url,
            self._upstream(),
            timeout=self.timeout,
            retry=self.retry,
            headers=self._headers(),
            json={"ref": self.ref, "inputs": inputs, "return_run_details": True},
        )
        receipt = self._receipt(request, response)
        self._done.put(request.key, receipt)
        return receipt

    def _headers(self) -> dict[str, str]:
        return {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "mlops-reactor",
        }

    def _receipt(self, request: TriggerCD, response: requests.Response) -> Receipt:
        if response.status_code == 200 and response.content:
            try:
                run = response.json()
            except ValueError:
                run = {}
            if isinstance(run, dict) and run.get("workflow_run_id"):
                return Receipt(ref=f"github-run-{run['workflow_run_id']}", url=str(run.get("html_url") or self.web_url))
        digest = hashlib.sha256(request.key.encode()).hexdigest()[:16]
        return Receipt(ref=f"github-dispatch-{digest}", url=self.web_url)

    def _upstream(self) -> Upstream:
        where = f"workflow {self.workflow} in {self.repo}"
        return Upstream(
            service="GitHub",
            subject=where,
            secrets=(self._token,),
            hints={
                400: "the request body was refused: check the policy's cd_targets ref and the workflow's inputs",
                401: f"the token was refused: check {GITHUB_TOKEN} (expired or revoked?)",
                403: f"the token may not dispatch workflows: give it the 'Actions: write' permission on {self.repo}",
                404: (
                    f"check the policy's cd_targets repo/workflow, that the token in {GITHUB_TOKEN} can see "
                    f"{self.repo}, and that the workflow has on: workflow_dispatch on its default branch"
                ),
                422: (
                    f"check that ref '{self.ref}' exists and that the workflow declares the inputs "
                    "model, version, environment, correlation_id and approved_by"
                ),
            },
        )
