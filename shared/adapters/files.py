"""Local files written atomically, and read so that a torn one never counts (the embedded adapters' records)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, flush and fsync it, then rename it over `path`.

    A crash leaves the old file or the whole new one, never a torn one (the rename is atomic on one volume).
    """
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
    try:
        # A lone surrogate (the edge replaces them; this is the last guard) is written as the text \ud800.
        with open(temp, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    _sync_folder(path.parent)


def read_record(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`; None when it is missing, empty, torn or not an object (so: not written)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def read_records(folder: Path) -> list[dict[str, Any]]:
    """Every whole JSON record in `folder`, oldest first; torn, empty and temporary files are skipped."""
    found = []
    for path in folder.glob("*.json"):
        record = read_record(path)
        try:
            found.append((path.stat().st_mtime_ns, path.name, record))
        except OSError:  # removed meanwhile
            continue
    return [record for _, _, record in sorted(found, key=lambda f: f[:2]) if record is not None]


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
