"""The host's keys: from the environment, else generated once and kept in the state folder (like Azure's)."""

from __future__ import annotations

import hmac
import json
import os
import secrets
from dataclasses import dataclass

from shared.app.host_keys import KEYS_FILE, read_keys
from shared.app.settings import EVENTGRID_KEY, FUNCTION_KEY, Settings


@dataclass(frozen=True)
class Keys:
    """The default function key, the eventgrid_extension system key and the master key (accepted everywhere)."""

    function: str
    eventgrid: str
    master: str

    def allows(self, presented: str | None, level: str) -> bool:
        """Whether a presented key opens a function of this auth level ('anonymous', 'function', 'system', 'admin')."""
        if level == "anonymous":
            return True
        wanted = {
            "function": (self.function, self.master),
            "system": (self.eventgrid, self.master),
            "admin": (self.master,),
        }.get(level, (self.master,))
        return bool(presented) and any(hmac.compare_digest(str(presented), key) for key in wanted)


def new_key() -> str:
    """A fresh key: 240 random bits as hex, so it never starts with '-' and never reads as a command-line option."""
    return secrets.token_hex(30)


def load_keys(settings: Settings) -> Keys:
    """Keys from REACTOR_FUNCTION_KEY / REACTOR_EVENTGRID_KEY, else the stored ones, else new ones (stored)."""
    stored = read_keys(settings.state_dir)
    fresh = {name: stored.get(name) or new_key() for name in ("function", "eventgrid_extension", "master")}
    if fresh != stored:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        path = settings.state_dir / KEYS_FILE
        path.write_text(json.dumps(fresh, indent=2), encoding="utf-8")
        os.chmod(path, 0o600)
    return Keys(
        function=settings.secret(FUNCTION_KEY) or fresh["function"],
        eventgrid=settings.secret(EVENTGRID_KEY) or fresh["eventgrid_extension"],
        master=fresh["master"],
    )
