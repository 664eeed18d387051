"""Find the functions an app registered (app.get_functions()) and what their bindings say about serving them."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func

_DISCOVERED: dict[int, tuple[func.FunctionApp, tuple[Registered, ...]]] = {}
_PARAM = re.compile(r"/?\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\??)\}")


@dataclass(frozen=True)
class Registered:
    """One function: its name, trigger kind, argument name and, for HTTP, its route, methods and auth level."""

    name: str
    trigger: str
    arg_name: str
    call: Callable[..., Any]
    route: str = ""
    pattern: re.Pattern[str] | None = None
    methods: tuple[str, ...] = ()
    auth_level: str = "function"

    def match(self, path: str) -> dict[str, str] | None:
        """Route parameters when `path` (after the route prefix) matches this HTTP trigger's template."""
        found = self.pattern.fullmatch(path) if self.pattern else None
        return None if found is None else {k: v for k, v in found.groupdict().items() if v is not None}


def route_pattern(template: str) -> re.Pattern[str]:
    """A Functions route template ({name}, {name?}, {name:constraint}, {*rest}) as a case-insensitive regex."""
    parts, last = [], 0
    for found in _PARAM.finditer(template.strip("/")):
        parts.append(re.escape(template.strip("/")[last : found.start()]))
        catch_all, name, optional = found.groups()
        slash = "/" if found.group(0).startswith("/") else ""
        value = f"(?P<{name}>{'.+' if catch_all else '[^/]+'})"
        parts.append(f"(?:{slash}{value})?" if optional else f"{slash}{value}")
        last = found.end()
    parts.append(re.escape(template.strip("/")[last:]))
    return re.compile("".join(parts), re.IGNORECASE)


def load_app(app_root: Path, script: str = "function_app.py") -> func.FunctionApp:
    """Load the script file as the worker does, as a fresh module: indexing it never collides with an import."""
    spec = importlib.util.spec_from_file_location(f"_devhost_{Path(script).stem}", app_root / script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {app_root / script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = getattr(module, "app", None)
    if not isinstance(app, func.FunctionApp):
        raise ImportError(f"{script} defines no FunctionApp named app")
    return app


def discover(app: func.FunctionApp) -> tuple[Registered, ...]:
    """Every function of `app`, read once: azure-functions refuses a second get_functions() on one app."""
    cached = _DISCOVERED.get(id(app))
    if cached is not None and cached[0] is app:
        return cached[1]
    found = tuple(_registered(f) for f in app.get_functions())
    _DISCOVERED[id(app)] = (app, found)
    return found


def _registered(function: Any) -> Registered:
    bindings = json.loads(function.get_function_json())["bindings"]
    trigger = next(b for b in bindings if b["type"].lower().endswith("trigger"))
    kind = trigger["type"]
    call = function.get_user_function()
    name = function.get_function_name()
    if kind.lower() != "httptrigger":
        return Registered(name=name, trigger=kind, arg_name=trigger["name"], call=call)
    route = trigger.get("route") or name
    methods = tuple(m.upper() for m in trigger.get("methods") or ())  # none listed: every method
    return Registered(
        name=name,
        trigger=kind,
        arg_name=trigger["name"],
        call=call,
        route=route,
        pattern=route_pattern(route),
        methods=methods,
        auth_level=str(trigger.get("authLevel") or "function").lower(),
    )
