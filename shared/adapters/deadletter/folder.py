"""`LetterBlobs` on a local folder: the embedded stand-in for the dead-letter container (local mode, the demo).

Blob names are paths under the folder (`<SUBSCRIPTION>/YYYY/M/D/H/<guid>.json`, as Event Grid names them); a
blob's metadata is a JSON file beside it under `.metadata/`. Listed in name order, as Blob Storage lists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from shared.core.errors import PermanentError
from shared.core.eventgrid_letters import BlobPage, BlobRef

_META = ".metadata"


class FolderLetters:
    """Dead-letter blobs as files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, name: str, body: bytes) -> None:
        """Put a blob (as Event Grid would): for the simulator and the demo."""
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def list(self, prefix: str, limit: int, cursor: str | None = None) -> BlobPage:
        if not self.root.is_dir():
            return BlobPage(blobs=[])
        names = sorted(
            name
            for path in self.root.rglob("*")
            if path.is_file() and not (name := path.relative_to(self.root).as_posix()).startswith(f"{_META}/")
        )
        wanted = [n for n in names if n.startswith(prefix) and (cursor is None or n > cursor)]
        page = wanted[:limit]
        blobs = [BlobRef(name=n, created=self._created(n), metadata=self._metadata(n)) for n in page]
        return BlobPage(blobs=blobs, next=page[-1] if len(wanted) > limit else None)

    def read(self, name: str) -> bytes:
        path = self._path(name)
        if not path.is_file():
            raise PermanentError(f"no dead-letter blob {name!r} under {self.root}")
        return path.read_bytes()

    def mark(self, name: str, metadata: Mapping[str, str]) -> None:
        self.read(name)
        meta = self.root / _META / f"{name}.json"
        meta.parent.mkdir(parents=True, exist_ok=True)
        meta.write_text(json.dumps({**self._metadata(name), **metadata}), encoding="utf-8")

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents or name.startswith(f"{_META}/"):
            raise PermanentError(f"blob name {name!r} is outside the dead-letter folder")
        return path

    def _created(self, name: str) -> str:
        return datetime.fromtimestamp(self._path(name).stat().st_mtime, UTC).isoformat()

    def _metadata(self, name: str) -> dict[str, str]:
        meta = self.root / _META / f"{name}.json"
        return dict(json.loads(meta.read_text(encoding="utf-8"))) if meta.is_file() else {}
