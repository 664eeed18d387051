"""`python -m devhost`: serve function_app on localhost:7071 like `func start`, in local mode by default."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from devhost.functions import load_app
from devhost.keys import Keys, load_keys
from devhost.server import DevHost, bind, route_prefix
from shared.app import bootstrap
from shared.app.settings import APP_ROOT, APPROVAL_LINK_KEY, MODE, PUBLIC_URL, STATE_DIR, Settings
from shared.core.errors import ReactorError

_STATE_ENTRIES = (
    "reactor.db",
    "reactor.db-wal",
    "reactor.db-shm",
    "workspace.db",
    "workspace.db-wal",
    "workspace.db-shm",
    "outbox",
    "cd_requests",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Set the environment as `func start` would, then serve until Ctrl+C."""
    local = _local_settings(APP_ROOT / "local.settings.json")
    args = _parser(int(str(local.get("Host", {}).get("LocalHttpPort", 7071)))).parse_args(argv)
    for name, value in local.get("Values", {}).items():
        os.environ.setdefault(name, str(value))  # like func start: the environment wins over the file
    os.environ.setdefault(MODE, "local")
    if args.state_dir:
        os.environ[STATE_DIR] = str(Path(args.state_dir).resolve())
    os.environ.setdefault(PUBLIC_URL, f"http://localhost:{args.port}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    try:
        settings = bootstrap.settings()
        if args.reset:
            _reset(settings.state_dir)
        return _serve(args.host, args.port, settings)
    except (ReactorError, ValueError, OSError) as exc:  # bad policy or settings, port in use: say so, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser(port: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devhost", description="Serve function_app like func start")
    parser.add_argument("--port", type=int, default=port, help=f"port to listen on (default {port})")
    parser.add_argument("--host", default="localhost", help="interface to bind (default localhost)")
    parser.add_argument("--state-dir", help="where local mode keeps its state (default REACTOR_STATE_DIR or .reactor)")
    parser.add_argument("--reset", action="store_true", help="forget the store, simulator and outbox (keeps keys)")
    return parser


def _serve(host: str, port: int, settings: Settings) -> int:
    keys = load_keys(settings)
    os.environ.setdefault(APPROVAL_LINK_KEY, keys.function)  # approval links in the outbox open the page
    bootstrap.reset()
    bootstrap.reactor()  # fail now, not on the first event, if policy.yaml or the settings are wrong
    dev = DevHost(load_app(APP_ROOT), keys, route_prefix(APP_ROOT))
    server = bind(dev, host, port)
    print(_banner(dev, keys, settings, f"http://localhost:{server.port}"), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0


def _banner(dev: DevHost, keys: Keys, settings: Settings, url: str) -> str:
    return (
        f"\nMLOps Reactor dev host (stands in for `func start`): {settings.mode} mode, "
        f"state in {settings.state_dir}\n\n{dev.describe(url)}\n"
        f"Keys (kept in {settings.state_dir / 'devhost-keys.json'}; REACTOR_FUNCTION_KEY / "
        "REACTOR_EVENTGRID_KEY override):\n"
        f"    function key (x-functions-key header or ?code=): {keys.function}\n"
        f"    eventgrid_extension system key (webhook):        {keys.eventgrid}\n\n"
        "Try next, in another terminal:\n"
        "    .venv/bin/python -m shared demo                      # the whole loop, against this host\n"
        "    .venv/bin/python -m shared send --synth model_registered\n"
        f"    curl -s {url}/api/health\n"
        f"    open {url}/api/approvals/<model>/<version>?code={keys.function}\n"
    )


def _local_settings(path: Path) -> dict[str, dict[str, object]]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise SystemExit(f"{path} is not valid JSON: {exc}") from exc
    return found if isinstance(found, dict) else {}


def _reset(state_dir: Path) -> None:
    for name in _STATE_ENTRIES:
        target = state_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    print(f"reset: cleared {state_dir} (keys kept)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
