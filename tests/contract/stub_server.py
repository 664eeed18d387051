"""A local HTTP(S) server for contract tests: checks each request against a documented shape, answers as scripted."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    """A scripted response."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Check = Callable[[Seen], list[str]]
Responder = Callable[[Seen], Answer | None]


class StubServer:
    """Records every request; a request that breaks the shape gets a 400 naming the problems (kept in .problems)."""

    def __init__(self, check: Check | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.check = check
        self.seen: list[Seen] = []
        self.problems: list[str] = []
        self.answers: deque[Answer] = deque()
        self.default = Answer(200, {})
        self.responder: Responder | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls else "http"
        host = "localhost" if tls else "127.0.0.1"
        self.url = f"{scheme}://{host}:{self._server.server_address[1]}"

    def answer(self, *answers: Answer) -> None:
        """Queue answers for the next requests (then the default)."""
        self.answers.extend(answers)

    def _next(self, seen: Seen) -> Answer:
        problems = self.check(seen) if self.check else []
        if problems:
            self.problems += problems
            return Answer(400, {"message": "stub: " + "; ".join(problems)})
        if self.answers:
            return self.answers.popleft()
        if self.responder is not None:
            answer = self.responder(seen)
            if answer is not None:
                return answer
        return self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
                )
                stub.seen.append(seen)
                answer = stub._next(seen)
                time.sleep(answer.delay)
                payload = (
                    b""
                    if answer.body is None
                    else (answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode())
                )
                try:
                    self.send_response(answer.status)
                    if payload and "Content-Type" not in answer.headers:
                        self.send_header("Content-Type", "application/json")
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = _serve

        return Handler

    @contextmanager
    def running(self) -> Iterator[StubServer]:
        """Serve in a thread for the duration of the block."""
        thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
