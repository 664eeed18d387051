"""What every CD adapter shares: the production guard and the parameters a deployment carries."""

from __future__ import annotations

from shared.core.actions import TriggerCD
from shared.core.errors import GateViolation


def require_approval(request: TriggerCD, system: str) -> None:
    """Refuse production without a recorded approver (defence in depth beside the lifecycle)."""
    if request.environment == "production" and not (request.approved_by or "").strip():
        raise GateViolation(
            f"refusing to ask {system} to deploy {request.model}:{request.version} to production: "
            "no approver is recorded on the request"
        )


def parameters(request: TriggerCD) -> dict[str, str]:
    """The strings a CD run receives: model, version, environment, correlation id, approver when set."""
    values = {
        "model": request.model,
        "version": str(request.version),
        "environment": request.environment,
        "correlation_id": request.key,
    }
    if request.approved_by:
        values["approved_by"] = request.approved_by
    return values
