"""Valid synthetic events of every type, in either schema (tests, CLI, demo); built by the workspace's payloads."""

from __future__ import annotations

import json
from typing import Any

from shared.adapters.workspace.payloads import TYPES as TYPES
from shared.adapters.workspace.payloads import build as build
from shared.adapters.workspace.payloads import envelope as envelope


def fields_from(pairs: list[str]) -> dict[str, Any]:
    """`--set KEY=VALUE` arguments as overrides; a value starting with { or [ is JSON."""
    fields: dict[str, Any] = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects KEY=VALUE (got {item!r})")
        fields[key] = json.loads(value) if value[:1] in "{[" else value
    return fields
