"""Azure mode's first event: a fresh process imports the app, then a model registration submits its offline
test through the real azure-ai-ml MLClient to the local ARM stand-in the contract tests use (HTTPS)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class FirstEvent:
    """Milliseconds in one fresh process: the app's import, the first event to its effect, and the second."""

    app_import: float
    warm_up: float  # the warmup function's work (0: not run)
    first_event: float
    second_event: float
    heavy_before_event: bool  # azure.ai.ml loaded by the import of the app (it must not be)


class _LazyClient:
    """The MLClient built (and azure.ai.ml imported) on first use, as the app's own client is."""

    def __init__(self, build: Any) -> None:
        self._build, self._client = build, None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._build()
        return getattr(self._client, name)


def _child(warmed: bool) -> None:
    """In the fresh process: the ARM stand-in first (not timed), then the app, the warm-up if asked, and two
    registrations (timed)."""
    os.environ.update(AZUREML_CURRENT_CLOUD="AzureCloud", MLFLOW_ALLOW_FILE_STORE="true")
    from tests.contract.azureml_fake_arm import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE, FakeAzureML

    with tempfile.TemporaryDirectory() as folder, FakeAzureML(Path(folder)) as arm:
        os.environ["REQUESTS_CA_BUNDLE"] = str(arm.cert)
        start = time.perf_counter()
        import function_app  # noqa: F401  (what the Functions host imports to index the app)

        app_import = time.perf_counter() - start
        heavy = "azure.ai.ml" in sys.modules
        from shared.app import bootstrap
        from shared.app.azure import azureml_workspace
        from shared.app.settings import Settings
        from shared.tools import synthetic

        azure = Settings.from_env(
            {
                "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
                "AZURE_RESOURCE_GROUP": RESOURCE_GROUP,
                "AZUREML_WORKSPACE_NAME": WORKSPACE,
                "REACTOR_STATE_DIR": folder,
                "REACTOR_MLFLOW_TRACKING_URI": (Path(folder) / "mlruns").as_uri(),
            }
        )
        workspace = azureml_workspace(azure, client=_LazyClient(arm.client))
        reactor = bootstrap.local(Path(folder) / "state", workspace=workspace)
        began = time.perf_counter()
        if warmed:
            bootstrap.reset(reactor)
            bootstrap.warm()
        warm_up = time.perf_counter() - began
        times = []
        for version in ("1", "2"):
            arm.register_model("credit-risk", version, {})
            event = synthetic.build("model_registered", reactor.workspace_id, model="credit-risk", version=version)
            began = time.perf_counter()
            reactor.handle(event)
            times.append(time.perf_counter() - began)
            if not any(r.method == "PUT" for r in arm.find("PUT", "/jobs/test-credit-risk-")):
                raise SystemExit(f"the registration of version {version} submitted no job")
        print(json.dumps([app_import * 1000, warm_up * 1000, times[0] * 1000, times[1] * 1000, heavy]))


def first_event(*, warmed: bool, runs: int = 3) -> FirstEvent:
    """Medians over `runs` fresh processes."""
    rows = []
    for _ in range(runs):
        command = [sys.executable, "-m", "bench.first_event", *(["--warmed"] if warmed else [])]
        out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    app, warm, first, second = (statistics.median(r[i] for r in rows) for i in range(4))
    return FirstEvent(app, warm, first, second, any(r[4] for r in rows))


if __name__ == "__main__":
    _child("--warmed" in sys.argv)
