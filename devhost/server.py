"""The dev host's WSGI app: the Event Grid webhook and the HTTP triggers of function_app, with keys enforced."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from devhost import eventgrid, http
from devhost.functions import Registered, discover
from devhost.keys import Keys
from shared.app.settings import Settings

WEBHOOK_PATH = "/runtime/webhooks/eventgrid"
_KEY_IN_QUERY = re.compile(r"(?i)(code=)[^&\s\"']*")


def route_prefix(app_root: Path) -> str:
    """extensions.http.routePrefix from host.json ('api' unless set)."""
    try:
        host = json.loads((app_root / "host.json").read_text(encoding="utf-8"))
        return str(host.get("extensions", {}).get("http", {}).get("routePrefix", "api")).strip("/")
    except (OSError, ValueError):
        return "api"


class DevHost:
    """Serves every function `app` registered, found with app.get_functions()."""

    def __init__(
        self, app: func.FunctionApp, keys: Keys, prefix: str = "api", max_body_bytes: int | None = None
    ) -> None:
        self.functions = discover(app)
        self.keys = keys
        self.prefix = prefix.strip("/")
        self.max_body_bytes = Settings.from_env().max_body_bytes if max_body_bytes is None else max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The WSGI entry point."""
        response = self.dispatch(Request(environ))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route one request: webhook, /api/<route>, or the index; a body above the limit is a 413, unread."""
        refused = self._too_large(request)
        if refused is not None:
            return refused
        path = request.path
        if path.rstrip("/").lower() == WEBHOOK_PATH:
            return self._webhook(request)
        lead = f"/{self.prefix}/" if self.prefix else "/"
        if path.lower().startswith(lead):
            return self._http(request, path[len(lead) :])
        if path == "/":
            return Response(self.describe("http://" + request.host), mimetype="text/plain")
        return _text(f"no function serves {path}", 404)

    def urls(self, base: str) -> list[tuple[Registered, str]]:
        """Each function with the URL it answers at (route templates unexpanded); "" for timers and warmup, which
        no request reaches."""
        lead = f"{base}/{self.prefix}/" if self.prefix else f"{base}/"
        return [(f, f"{lead}{f.route}" if f.pattern else self._webhook_url(base, f)) for f in self.functions]

    @staticmethod
    def _webhook_url(base: str, function: Registered) -> str:
        grid = function.trigger.lower() == "eventgridtrigger"
        return f"{base}{WEBHOOK_PATH}?functionName={function.name}" if grid else ""

    def describe(self, base: str) -> str:
        """The function list `func start` prints: name, methods or trigger, URL (none for a timer)."""
        lines = []
        for function, url in self.urls(base):
            kind = f"[{','.join(function.methods) or 'ANY'}]" if function.pattern else function.trigger
            lines.append(f"    {function.name}: {kind} {url}".rstrip())
        return "Functions:\n" + "\n".join(lines) + "\n"

    def _too_large(self, request: Request) -> Response | None:
        # A chunked body has no Content-Length: read one byte past the limit to know it is above it.
        request.max_content_length = self.max_body_bytes + 1
        try:
            size = request.content_length if request.content_length is not None else len(request.get_data())
        except RequestEntityTooLarge:
            size = self.max_body_bytes + 1
        if size <= self.max_body_bytes:
            return None
        shown = f"{size} bytes" if request.content_length is not None else "more than that"
        return _text(
            f"413 Content Too Large: the body is {shown}; the limit is {self.max_body_bytes} bytes "
            "(REACTOR_MAX_BODY_BYTES)",
            413,
            Connection="close",
        )

    def _webhook(self, request: Request) -> Response:
        if not self.keys.allows(_presented(request), "system"):
            return _text(
                "401 Unauthorized: the webhook needs the eventgrid_extension system key "
                "(code= query parameter or x-functions-key header)",
                401,
            )
        name = request.args.get("functionName", "")
        function = next((f for f in self.functions if f.name.lower() == name.lower()), None)
        if function is None or function.trigger.lower() != "eventgridtrigger":
            return _text(f"cannot find function: '{name}'", 404)
        return eventgrid.webhook(request, function)

    def _http(self, request: Request, path: str) -> Response:
        for function in self.functions:
            params = function.match(path)
            if params is None:
                continue
            if not self.keys.allows(_presented(request), function.auth_level):
                return _text(
                    f"401 Unauthorized: {function.name} needs a function key "
                    "(x-functions-key header or code= query parameter)",
                    401,
                )
            if function.methods and request.method not in function.methods:
                return _text(
                    f"{function.name} accepts {', '.join(function.methods)}", 405, Allow=", ".join(function.methods)
                )
            return http.call(request, function, params)
        return _text(f"no function serves /{self.prefix}/{path}", 404)


@dataclass
class Running:
    """A dev host serving in a background thread (tests; `python -m devhost` serves in the foreground)."""

    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        """http://host:port of the running server."""
        return f"http://{self.server.host}:{self.server.port}"

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def redact(line: str) -> str:
    """A log line with every key given as code= replaced by ***."""
    return _KEY_IN_QUERY.sub(r"\1***", line)


class _Handler(WSGIRequestHandler):
    """Request and error log lines without the key given as code=."""

    def log(self, type: str, message: str, *args: Any) -> None:
        super().log(type, "%s", redact(message % args if args else message))


def bind(app: Any, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded werkzeug server for `app`; port 0 picks a free port."""
    return make_server(host, port, app, threaded=True, request_handler=_Handler)


def start_in_thread(server: BaseWSGIServer) -> Running:
    """Serve `server` from a daemon thread."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="devhost", daemon=True)
    thread.start()
    return Running(server, thread)


def _presented(request: Request) -> str | None:
    return request.headers.get("x-functions-key") or request.args.get("code")


def _text(message: str, status: int, **headers: str) -> Response:
    return Response(message, status, mimetype="text/plain", headers=headers)
