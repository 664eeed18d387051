"""docs/azure.md's app-settings table lists exactly the settings the code reads, and the code reads no other."""

from __future__ import annotations

import ast
import re

from shared.app.settings import APP_ROOT
from shared.core import setting_names

DOC = APP_ROOT / "docs" / "azure.md"


def documented() -> set[str]:
    """The first-column names of the app-settings table (the policy-named Teams setting is a pattern)."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## App settings") :].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Za-z_]+)`", row.split("|")[1]) if "<" not in name}


def read_by_code() -> set[str]:
    """Every setting name the code has (setting_names holds them all; settings.py re-exports them)."""
    return {v for k, v in vars(setting_names).items() if k.isupper() and isinstance(v, str)}


def test_the_documented_settings_are_the_ones_the_code_reads() -> None:
    example = "REACTOR_TEAMS_WEBHOOK_ONCALL"  # a policy-named Teams setting, shown as the pattern's example
    assert documented() - {example} == read_by_code()


def test_no_module_reads_a_setting_by_a_literal_name() -> None:
    """Names come from setting_names: an `env.get("X")` or `os.environ["X"]` elsewhere would escape the table."""
    found = []
    for path in sorted((APP_ROOT / "shared").rglob("*.py")) + sorted((APP_ROOT / "functions").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            target = (
                node.func if isinstance(node, ast.Call) else node.value if isinstance(node, ast.Subscript) else None
            )
            text = ast.unparse(target) if target is not None else ""
            args = node.args if isinstance(node, ast.Call) else [node.slice] if isinstance(node, ast.Subscript) else []
            literal = any(isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.isupper() for a in args)
            if literal and ("environ" in text or text.endswith("env.get") or text == "env"):
                found.append(f"{path.relative_to(APP_ROOT)}:{node.lineno}")
    assert not found, found
