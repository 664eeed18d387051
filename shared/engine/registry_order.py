"""A version's staging CD runs only after its registry copy: a failed copy holds the CD back (it fails too).

After an interrupted attempt the copy is run again (an existing registry version counts as copied); found
already there, the attempt got past it, so the CD that followed may have been sent: it is never sent blindly
again (unconfirmed, like any CD request whose answer was lost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from shared.core.state import Intent, IntentStatus


def after_copy(intent: Intent, done: Sequence[Intent], at: str) -> Intent:
    """The intent to run: a CD held back by its version's failed copy (FAILED), in doubt (UNANSWERED), or as is."""
    action = intent.action
    if action.get("kind") != "trigger_cd":
        return intent
    copy = next((i for i in done if i.key == f"registry:{action.get('model')}:{action.get('version')}"), None)
    if copy is None:
        return intent
    if copy.status is not IntentStatus.DONE:
        error = (
            f"CD of {action.get('model')}:{action.get('version')} to {action.get('environment')} not sent: "
            f"the registry copy failed ({copy.result.get('error', 'no answer')})"
        )
        return replace(intent, status=IntentStatus.FAILED, result={"at": at, "error": error})
    if copy.result.get("resumed") and not copy.result.get("copied"):
        return replace(intent, status=IntentStatus.UNANSWERED)
    return intent
