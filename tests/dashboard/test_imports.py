"""The dashboard reaches the engine only through engine.api and never imports torch itself."""

from __future__ import annotations

import ast
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
ALLOWED_ENGINE = {"engine.api"}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_dashboard_files_exist() -> None:
    assert len(list(DASHBOARD.rglob("*.py"))) >= 5


def test_no_torch_and_only_the_engine_facade() -> None:
    bad = []
    for path in sorted(DASHBOARD.rglob("*.py")):
        for name in _imports(path):
            root = name.split(".")[0]
            facade = any(name == a or name.startswith(a + ".") for a in ALLOWED_ENGINE)
            if root in {"torch", "torch_geometric"} or (root == "engine" and not facade):
                bad.append(f"{path.name}: {name}")
    assert bad == []
