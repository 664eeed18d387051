"""The embedded Deployer: records each CD request as a file instead of calling a CD system."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from shared.adapters.cd.common import require_approval
from shared.core.actions import TriggerCD
from shared.core.ports import Receipt


class RecordingDeployer:
    """One JSON file per request under a folder; the same key twice records once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def deploy(self, request: TriggerCD) -> Receipt:
        require_approval(request, "the recording deployer")
        ref = hashlib.sha256(request.key.encode()).hexdigest()[:16]
        path = self.folder / f"{ref}.json"
        if not path.exists():
            path.write_text(json.dumps(asdict(request), indent=2), encoding="utf-8")
        return Receipt(ref=f"local-cd-{ref}")

    def requests(self) -> list[TriggerCD]:
        """Every recorded request, oldest first."""
        paths = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        return [TriggerCD(**json.loads(p.read_text(encoding="utf-8"))) for p in paths]
