"""The error tree, split by what the platform must do with the event.

ReactorError
├── TransientError        raise: the platform redelivers (429, 5xx, timeouts, lease held elsewhere)
└── PermanentError        record, alert, acknowledge: retrying cannot help
    ├── InvalidEvent      malformed payload (names the field and what was expected)
    ├── UntrustedSource   topic/source is not the configured workspace
    ├── PolicyError       policy.yaml invalid (file, path, expected)
    ├── GateViolation     a transition the lifecycle forbids
    ├── UpstreamRejected  a 4xx from Azure ML / CD / Teams / email that retrying cannot fix
    └── Misconfigured     the app's configuration cannot serve the event (kept as a dead letter, replayable by id)
"""

from __future__ import annotations


class ReactorError(Exception):
    """Base of every error the core raises on purpose."""


class TransientError(ReactorError):
    """A failure that may pass: let the platform redeliver the event."""

    def __init__(self, message: str, *, retry_after: float | None = None, maybe_done: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_done = maybe_done  # the request may have been carried out: the answer was lost


class PermanentError(ReactorError):
    """A failure that retrying cannot fix: record it and acknowledge the event."""


class InvalidEvent(PermanentError):
    """The delivery is malformed; the message names the field and what was expected."""

    def __init__(self, field: str, expected: str, got: object = None) -> None:
        shown = "missing" if got is None else f"got {type(got).__name__} {str(got)[:80]!r}"
        super().__init__(f"invalid event: field '{field}' must be {expected} ({shown})")
        self.field = field


class UntrustedSource(PermanentError):
    """The event's topic/source is not a configured workspace."""


class Misconfigured(PermanentError):
    """The configuration is wrong for the mode (see /api/health): the event is kept to replay after the fix."""


class PolicyError(PermanentError):
    """policy.yaml is invalid: the message names the file, the path inside it and what was expected."""


class GateViolation(PermanentError):
    """A lifecycle transition that the gates forbid (e.g. production without approval)."""


class UpstreamRejected(PermanentError):
    """An external service refused the request in a way retrying cannot fix."""
