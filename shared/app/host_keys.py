"""Where the dev host keeps the keys it generated, and how its clients read them (one file in the state folder)."""

from __future__ import annotations

import json
from pathlib import Path

KEYS_FILE = "devhost-keys.json"


def read_keys(state_dir: Path) -> dict[str, str]:
    """The keys the dev host stored under its state folder ({} before it first ran)."""
    try:
        found = json.loads((state_dir / KEYS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
