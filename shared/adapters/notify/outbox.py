"""The embedded Notifier: each notice becomes a JSON file and a text file in the outbox, and a console line."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TextIO, cast

from shared.adapters.files import read_record, read_records, write_atomic
from shared.core.actions import Notify


def render_text(notice: Notify) -> str:
    """The plain-text body every text channel shares."""
    lines = [notice.title, ""]
    lines += [f"{name}: {value}" for name, value in notice.facts.items()]
    lines += [f"{name}: {url}" for name, url in notice.links.items()]
    return "\n".join(lines) + "\n"


class _Stderr:
    """Whatever sys.stderr is when a line is printed (tools and test runners swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR = cast(TextIO, _Stderr())


class OutboxNotifier:
    """Writes notices under a folder; the same key twice writes once."""

    def __init__(self, folder: Path, console: TextIO | None = STDERR) -> None:
        self.folder = folder
        self.console = console
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, notice: Notify) -> None:
        name = hashlib.sha256(notice.key.encode()).hexdigest()[:16]
        path = self.folder / f"{notice.template}-{name}.json"
        if read_record(path) is not None:  # written whole before: a torn file counts as not sent
            return
        write_atomic(path.with_suffix(".txt"), f"[{notice.channel}] " + render_text(notice))
        write_atomic(path, json.dumps(asdict(notice), indent=2, default=str))  # last: it marks the notice sent
        if self.console is not None:
            print(f"outbox [{notice.channel}] {notice.title}", file=self.console)

    def sent(self) -> list[Notify]:
        """Every notice in the outbox, oldest first; a torn or empty file is not one."""
        return [Notify(**record) for record in read_records(self.folder)]
