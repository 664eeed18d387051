"""The embedded Deployer: records each CD request as a file instead of calling a CD system."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from shared.adapters.cd.common import require_approval
from shared.adapters.files import read_record, read_records, write_atomic
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
        if read_record(path) is None:  # a torn file from a crash counts as not recorded
            write_atomic(path, json.dumps(asdict(request), indent=2))
        return Receipt(ref=f"local-cd-{ref}")

    def requests(self) -> list[TriggerCD]:
        """Every recorded request, oldest first; a torn or empty file is not one."""
        return [TriggerCD(**record) for record in read_records(self.folder)]
