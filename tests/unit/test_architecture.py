"""The import rule of docs/architecture.md, read from the code: every module's imports, found with `ast`.

Rooms, top to bottom: tools -> app -> web -> engine -> core; adapters sit beside engine and web, below app.
An import may only go down; an adapter of one technology never imports another's; a vendor SDK is
imported only in shared/adapters/ (with the few named allowances below). Each failure lists every
violation at once, as file:line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from shared.app.settings import APP_ROOT

SCANNED = ("shared", "functions", "devhost", "bench", "function_app.py")

# Which rooms each room may import (its own included). Rooms are top-level names, or shared's sub-packages.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "engine": frozenset({"engine", "core"}),
    "adapters": frozenset({"adapters", "core"}),
    "web": frozenset({"web", "engine", "core"}),
    "app": frozenset({"app", "web", "engine", "adapters", "core"}),
    "tools": frozenset({"tools", "app", "web", "engine", "adapters", "core"}),
    "functions": frozenset({"functions", "app", "web", "engine", "core"}),
    "function_app": frozenset({"functions"}),
    "devhost": frozenset({"devhost", "functions", "app", "web", "engine", "core"}),
    # The benchmark times the app as the Functions host loads it (import function_app), never the other way.
    "bench": frozenset({"bench", "function_app", "tools", "app", "web", "engine", "adapters", "core"}),
}

# Vendor SDKs and the technologies adapters wrap: only shared/adapters/ imports them, except where named here.
VENDORS = ("azure", "mlflow", "requests", "urllib3", "smtplib", "sqlite3", "werkzeug", "yaml", "pydantic")
VENDOR_ALSO_IN: dict[str, tuple[str, ...]] = {
    # The Functions programming model is the host's edge: the app, its blueprints and the dev host that serves them.
    "azure.functions": ("function_app.py", "functions/", "devhost/"),
    # The dev host's HTTP server stands in for the Functions host; nothing of the product runs on it.
    "werkzeug": ("devhost/",),
    # The policy file is YAML validated by pydantic: parsing our own config is the core's input, not I/O to a
    # service, and a validated, frozen Policy is what every decision reads.
    "yaml": ("shared/core/policy",),
    "pydantic": ("shared/core/policy",),
    # The command-line tools talk to our own host over HTTP (they are a client of the app, not an adapter of a port).
    "requests": ("shared/tools/client.py", "shared/tools/cli_host.py"),
    # The benchmark measures a raw SQLite floor to compare the store against.
    "sqlite3": ("bench/",),
}

# Adapter modules every adapter may import: shared helpers at adapters/ root, and the helpers of one port.
PORTS = ("store", "workspace", "cd", "notify")
PORT_HELPERS: dict[str, frozenset[str]] = {
    "cd": frozenset({"common"}),
    "notify": frozenset({"render"}),
    "workspace": frozenset({"payloads", "resource_writes"}),
    "store": frozenset(),
}

# Known violations in files owned by work in flight; each names its fix. A fixed one must leave this list.
KNOWN: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it stands."""

    path: str  # relative to the repository, with forward slashes
    line: int
    module: str
    typing_only: bool = False  # under `if TYPE_CHECKING:`: a dependency, but it loads nothing at run time


def python_files() -> Iterator[Path]:
    """Every module the rule covers."""
    for name in SCANNED:
        root = APP_ROOT / name
        yield from [root] if root.is_file() else sorted(root.rglob("*.py"))


def imports_of(path: Path) -> Iterator[Import]:
    """Absolute names imported by a file (relative imports resolved against its package); type-only ones too."""
    rel = path.relative_to(APP_ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), rel)
    typing_only = {
        id(n) for block in ast.walk(tree) if _is_type_checking(block) for stmt in block.body for n in ast.walk(stmt)
    }
    package = rel.removesuffix(".py").split("/")[:-1]
    for node in ast.walk(tree):
        for module in _names(node, package):
            yield Import(rel, getattr(node, "lineno", 0), module, id(node) in typing_only)


def _is_type_checking(node: ast.AST) -> TypeGuard[ast.If]:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _names(node: ast.AST, package: list[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = package[: len(package) - node.level + 1] if node.level else []
    module = ".".join([*base, node.module] if node.module else base)
    # `from shared.core import events` imports the module shared.core.events.
    return [module, *(f"{module}.{a.name}" for a in node.names if _is_module(f"{module}.{a.name}"))]


def _is_module(name: str) -> bool:
    parts = name.split(".")
    if parts[0] not in ("shared", "functions", "devhost", "bench"):
        return False
    where = APP_ROOT.joinpath(*parts)
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def room(module: str) -> str | None:
    """The room of a dotted name of this project (None: not ours)."""
    parts = module.split(".")
    if parts[0] == "shared":
        return "tools" if len(parts) == 1 or parts[1] == "__main__" else parts[1]
    return parts[0] if parts[0] in MAY_IMPORT else None


def technology(module: str) -> tuple[str, str] | None:
    """An adapter's (port, technology); None for a shared helper (adapters root, or a port's helpers)."""
    parts = module.split(".")[2:]
    if len(parts) < 2 or parts[0] not in PORTS or parts[1] in PORT_HELPERS[parts[0]]:
        return None
    return parts[0], parts[1]


def as_module(path: str) -> str:
    """The dotted name of a file."""
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def layer_violations(found: Import) -> str | None:
    """Why an import breaks the room rule or the adapter-technology rule (None: it keeps them)."""
    source, target = as_module(found.path), found.module
    here, there = room(source), room(target)
    if here is None or there is None:
        return None
    if there not in MAY_IMPORT[here]:
        return f"{here} may not import {there}"
    if here == "adapters" and there == "adapters":
        mine, theirs = technology(source), technology(target)
        if theirs is not None and mine != theirs:
            return f"adapter {'helper' if mine is None else '/'.join(mine)} imports adapter {'/'.join(theirs)}"
    return None


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def vendor_violation(found: Import) -> str | None:
    """Why an import of a vendor SDK stands where it may not (None: allowed)."""
    vendor = next((v for v in VENDORS if _within(found.module, v)), None)
    if vendor is None or found.typing_only or found.path.startswith("shared/adapters/"):
        return None
    if any(_within(found.module, name) and found.path.startswith(where) for name, where in VENDOR_ALSO_IN.items()):
        return None
    if vendor == "azure" and found.module.startswith("azure.functions"):
        return "azure.functions outside function_app.py, functions/ and devhost/"
    return f"vendor SDK {found.module} outside shared/adapters/"


def violations() -> tuple[list[str], set[tuple[str, str]]]:
    """Every violation not listed in KNOWN, as 'file:line: import: why'; and the KNOWN entries seen."""
    found, seen = [], set()
    for path in python_files():
        for item in imports_of(path):
            why = layer_violations(item) or vendor_violation(item)
            if why is None:
                continue
            key = next((k for k in KNOWN if k[0] == item.path and _within(item.module, k[1])), None)
            if key is not None:
                seen.add(key)
            else:
                found.append(f"{item.path}:{item.line}: import {item.module}: {why}")
    return sorted(set(found)), seen


def test_every_import_goes_down_the_rooms_and_vendor_sdks_stay_in_adapters() -> None:
    found, _ = violations()

    assert not found, "imports against the rule of docs/architecture.md:\n" + "\n".join(found)


def test_each_known_exception_still_exists() -> None:
    _, seen = violations()

    stale = sorted(f"{path} -> {module}" for path, module in set(KNOWN) - seen)
    assert not stale, "fixed: remove from KNOWN in tests/unit/test_architecture.py:\n" + "\n".join(stale)


def test_the_rule_catches_an_import_up_a_sideways_adapter_and_a_vendor_sdk() -> None:
    up = Import("shared/core/gate.py", 1, "shared.engine.reactor")
    sideways = Import("shared/adapters/cd/github.py", 1, "shared.adapters.notify.teams")
    helper = Import("shared/adapters/cd/github.py", 1, "shared.adapters.http_errors")
    vendor = Import("shared/engine/executor.py", 1, "azure.data.tables")

    assert layer_violations(up) == "core may not import engine"
    assert layer_violations(sideways) == "adapter cd/github imports adapter notify/teams"
    assert layer_violations(helper) is None
    assert vendor_violation(vendor) == "vendor SDK azure.data.tables outside shared/adapters/"
