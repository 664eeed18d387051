"""The Deployer the reactor uses: routes each request to the adapter of its policy CD target, built on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.app.by_kind import ByKind
from shared.app.settings import ADO_PAT, ADO_URL, GITHUB_API_URL, GITHUB_TOKEN, Settings
from shared.core.actions import TriggerCD
from shared.core.errors import PermanentError
from shared.core.policy import CdTarget, Policy
from shared.core.ports import Deployer, Receipt

if TYPE_CHECKING:
    import requests

    from shared.adapters.cd.azure_devops import TokenProvider


class DeployerRouter:
    """Routes a TriggerCD by `policy.cd_targets[request.target].kind` (record, github, azure_devops)."""

    def __init__(
        self,
        settings: Settings,
        policy: Policy,
        *,
        session: requests.Session | None = None,
        ado_token_provider: TokenProvider | None = None,
    ) -> None:
        self.settings, self.policy = settings, policy
        self.session = session
        self.ado_token_provider = ado_token_provider
        builders = {"record": self._record, "github": self._github, "azure_devops": self._azure_devops}
        self.adapter: ByKind[CdTarget, Deployer] = ByKind(policy.cd_targets, builders, "cd_targets has no target named")

    def deploy(self, request: TriggerCD) -> Receipt:
        """Hand the request to its target's adapter."""
        return self.adapter(request.target).deploy(request)

    def _record(self, name: str, target: CdTarget) -> Deployer:
        from shared.adapters.cd.recorder import RecordingDeployer

        return RecordingDeployer(self.settings.state_dir / "cd_requests")

    def _github(self, name: str, target: CdTarget) -> Deployer:
        from shared.adapters.cd.github import API_URL, GitHubDeployer

        token = self.settings.secret(GITHUB_TOKEN)
        if not token:
            raise PermanentError(f"CD target {name!r} (github) needs the app setting {GITHUB_TOKEN}")
        return GitHubDeployer(
            repo=target.repo or "",
            workflow=target.workflow or "",
            ref=target.ref,
            token=token,
            api_url=self.settings.env.get(GITHUB_API_URL) or API_URL,
            session=self.session,
        )

    def _azure_devops(self, name: str, target: CdTarget) -> Deployer:
        from shared.adapters.cd.azure_devops import ADO_URL as DEFAULT_ADO_URL
        from shared.adapters.cd.azure_devops import AzureDevOpsDeployer

        return AzureDevOpsDeployer(
            organization=target.organization or "",
            project=target.project or "",
            pipeline_id=target.pipeline_id or 0,
            ref=target.ref,
            production_stage=target.production_stage,
            pat=self.settings.secret(ADO_PAT),
            token_provider=self.ado_token_provider,
            base_url=self.settings.env.get(ADO_URL) or DEFAULT_ADO_URL,
            session=self.session,
        )


def build_deployer(
    settings: Settings,
    policy: Policy,
    *,
    session: requests.Session | None = None,
    ado_token_provider: TokenProvider | None = None,
) -> Deployer:
    """The composition root's Deployer: every policy CD target, each adapter built on its first request."""
    return DeployerRouter(settings, policy, session=session, ado_token_provider=ado_token_provider)
