"""GET /api/health: liveness, or the configuration problems (paths and reasons, never a value)."""

from __future__ import annotations

from typing import Any

from shared.core.config_check import Problem


def health(problems: tuple[Problem, ...]) -> tuple[int, dict[str, Any]]:
    """200 {"status": "ok"}, or 503 {"status": "misconfigured", "problems": [{"path", "reason"}, ...]}."""
    if not problems:
        return 200, {"status": "ok"}
    return 503, {"status": "misconfigured", "problems": [p.as_dict() for p in problems]}
