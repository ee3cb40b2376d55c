"""Imports point one way: portal, cli -> billing -> ai_plans -> metering -> entitlements ->
catalog -> access -> db, kit. A package may import its own layer and those below it."""

from __future__ import annotations

import ast
from pathlib import Path

import allotment

SRC = Path(allotment.__file__).parent

# Lower number = lower layer. Top-level modules (app, api, settings, errors) wire or serve all.
LAYERS = {
    "kit": 0,
    "db": 0,
    "access": 1,
    "catalog": 2,
    "entitlements": 3,
    "metering": 4,
    "ai_plans": 5,
    "billing": 6,
    "ofrep": 7,
    "portal": 8,
    "cli": 8,
}
# db and kit may use these shared top-level modules; nothing below may import app or api.
SHARED = {"errors", "settings"}
# The one place that must know every model: Alembic and the drift test need the full metadata.
MODEL_REGISTRY = Path("db/base.py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("allotment.")}


def _package(module: str) -> str:
    return module.split(".")[1]


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(LAYERS), packages - set(LAYERS)


def test_imports_point_down() -> None:
    wrong: list[str] = []
    seen = 0
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if len(relative.parts) < 2 or (
            relative.parts[0] == "db" and "migrations" in relative.parts
        ):
            continue
        if relative == MODEL_REGISTRY:
            continue
        own = relative.parts[0]
        for module in _imports(path):
            seen += 1
            target = _package(module)
            if target in SHARED:
                continue
            if (target in ("app", "api") and own != "cli") or (
                target in LAYERS and LAYERS[target] > LAYERS[own]
            ):
                wrong.append(f"{relative} imports {module}")
    assert seen > 200  # the scan really read the code base
    assert wrong == [], "\n".join(wrong)
