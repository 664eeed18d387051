"""Read infra/*.bicep with pycep-parser: resources by name, variables resolved, `${var}` interpolated."""

from __future__ import annotations

import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from shared.app.settings import APP_ROOT

INFRA = APP_ROOT / "infra"


@cache
def _parser() -> Any:
    """pycep's parser; lark caches the built grammar (about a minute of CPU) in tempfile's folder, which the
    test session points at a fresh folder: keep the cache in .pytest_cache instead, across runs."""
    from pycep import BicepParser

    folder = APP_ROOT / ".pytest_cache" / "lark"
    folder.mkdir(parents=True, exist_ok=True)
    saved, tempfile.tempdir = tempfile.tempdir, str(folder)
    try:
        return BicepParser()
    finally:
        tempfile.tempdir = saved


@cache
def parsed(name: str) -> dict[str, Any]:
    """The pycep tree of infra/<name>.bicep."""
    tree: dict[str, Any] = _parser().parse(file_path=Path(INFRA / f"{name}.bicep"))
    return tree


def resource(name: str, symbol: str) -> dict[str, Any]:
    """A resource's body (its `if (...)` condition, if any, unwrapped), with variables resolved."""
    config = parsed(name)["resources"][symbol]["config"]
    if "condition" in config and "config" in config:
        config = config["config"]
    return dict(resolve(name, config))


def resource_type(name: str, symbol: str) -> str:
    """A resource's type, e.g. Microsoft.Web/sites."""
    return str(parsed(name)["resources"][symbol]["type"])


def resources_of(name: str, kind: str) -> list[str]:
    """The symbols of every resource of a type in a file."""
    return [s for s, r in parsed(name)["resources"].items() if r["type"] == kind]


def variable(name: str, symbol: str) -> Any:
    """A variable's value, resolved."""
    return resolve(name, parsed(name)["variables"][symbol]["value"])


def resolve(name: str, value: Any) -> Any:
    """Replace references to variables (a bare name, or `${name}` in a string) by their values."""
    names = parsed(name).get("variables", {})
    if isinstance(value, dict):
        return {k: resolve(name, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(name, v) for v in value]
    if isinstance(value, str) and value in names:
        return resolve(name, names[value]["value"])
    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\}", lambda m: _text(name, names, m), value)
    return value


def _text(name: str, names: dict[str, Any], match: re.Match[str]) -> str:
    found = names.get(match.group(1))
    return str(resolve(name, found["value"])) if found and isinstance(found["value"], str) else match.group(0)
