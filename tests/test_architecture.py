"""The shape of the code: imports between the apps run one way, no module reaches into another's
private names, and no two modules import each other (docs/architecture.md).

The three apps are layers: `engagements` (the request flow) may import `experts` and `registry`;
`experts` may import `registry`; `registry` (the core) imports neither app. Imports that only a type
checker runs (`if TYPE_CHECKING:`) are left out, since they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"registry": 0, "experts": 1, "engagements": 2, "api": 3}


def modules() -> dict[str, Path]:
    found = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import that can run, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])

    def walk(node: ast.AST) -> Iterator[tuple[str, list[str], int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from walk(other)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, [], child.lineno
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1] + [base]).strip(".")
                names = [alias.name for alias in child.names]
                # `from engagements import notifications` imports a module, not a name.
                submodules = [n for n in names if f"{base}.{n}" in ALL_MODULES]
                for name in submodules:
                    yield f"{base}.{name}", [], child.lineno
                rest = [n for n in names if n not in submodules]
                if rest:
                    yield base, rest, child.lineno
            yield from walk(child)

    yield from walk(tree)


ALL_MODULES = modules()


def app_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in LAYERS else None


def edges() -> list[tuple[str, str, list[str], int]]:
    found = []
    for module, path in ALL_MODULES.items():
        for target, names, line in imports(path):
            if app_of(target) is None:
                continue
            # `import engagements.models` and `from engagements.models import X` both point at a module we know.
            while target not in ALL_MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            found.append((module, target, names, line))
    return found


def test_every_import_between_apps_points_down() -> None:
    upward = [
        f"{module} line {line} imports {target}"
        for module, target, _names, line in edges()
        if LAYERS[app_of(target)] > LAYERS[app_of(module)]  # type: ignore[index]
    ]
    assert not upward, "imports that run back up (engagements -> experts -> registry):\n" + "\n".join(upward)


def test_no_module_imports_another_modules_private_names() -> None:
    private = [
        f"{module} line {line} takes {name} from {target}"
        for module, target, names, line in edges()
        for name in names
        if name.startswith("_") and target != module
    ]
    assert not private, "\n".join(private)


def test_no_two_modules_import_each_other() -> None:
    graph: dict[str, set[str]] = {module: set() for module in ALL_MODULES}
    for module, target, _names, _line in edges():
        if target != module and target in graph:
            graph[module].add(target)
    # Tarjan's strongly connected components: any component of two or more modules is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert not circles, f"modules that import each other: {circles}"


@pytest.mark.parametrize(
    ("source", "allowed"),
    [
        ("from engagements.models import Request\n", False),
        ("from registry.models import Unit\n", True),
        ("def f():\n    from experts.models import ExpertProfile\n", False),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from engagements.models import Request\n", True),
    ],
)
def test_the_rule_itself_sees_upward_imports(tmp_path: Path, source: str, allowed: bool) -> None:
    """The checker finds an upward import at any depth, and ignores type-checking-only ones."""
    path = ROOT / "registry" / "_architecture_probe.py"
    try:
        path.write_text(source)
        found = [target for target, _names, _line in imports(path) if app_of(target) in ("experts", "engagements")]
    finally:
        path.unlink()
    assert (not found) is allowed
