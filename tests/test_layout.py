"""The package's layout holds: dependencies point one way and no import circle exists.

Every ``import training...`` is read from the source (module level and inside functions alike,
so a circle cannot hide behind a function-level import).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "training"
# Lower layers never import higher ones (docs/architecture.md draws the same order).
LAYERS = [
    {"core"},
    {"warehouse"},
    {"gx"},
    {"checks"},
    {"scaffold"},
    {"model"},
    {"docs_site"},
    {"gx_speedups"},
    {"extensions"},
    {"pipelines"},
    {"demo"},
    {"api", "airflow", "cli"},
]


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("training.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "training":
                found |= {f"training.{a.name}" for a in node.names}
            elif node.module.startswith("training."):
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}

    def resolve(name: str) -> str:
        while name not in modules and "." in name:  # `from training.gx import hooks` names a module
            name = name.rsplit(".", 1)[0]
        return name

    # A package's __init__ is not an edge of its own modules' imports (`from training.gx import
    # hooks` reads the module, and the package's __init__ only gets run).
    return {m: {resolve(i) for i in _imports(p)} - {m} - _packages_of(m) for m, p in modules.items()}


def _packages_of(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else module
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_no_import_circle():
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path[path.index(module) :], module]))
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_dependencies_point_one_way():
    wrong = [
        f"{m} (layer {_layer(m)}) imports {t} (layer {_layer(t)})"
        for m, targets in sorted(_graph().items())
        if m != "training"
        for t in sorted(targets)
        if t != "training" and _layer(t) > _layer(m)
    ]
    assert wrong == []
