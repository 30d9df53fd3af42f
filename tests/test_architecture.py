"""The package's shape: folders per pipeline stage, imports that only go down, no circles.

The test reads every module with ``ast`` (nothing is imported), so it sees imports at module
level, inside functions and under ``TYPE_CHECKING`` alike. The only imports allowed to go up
a layer are the documented doors in :data:`DOORS`: convenience methods on result objects
that import a higher layer inside the method, as ``GeoDataFrame.to_file`` does in geopandas.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import ROOT

PACKAGE = ROOT / "src" / "dealernet"

#: Layers, bottom first; a module may import its own layer and those below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("",),  # the top-level base modules: errors, settings, schema, helpers
    ("geo",),
    ("io", "engine"),
    ("analysis",),
    ("planning",),
    ("outputs",),
    ("render",),
    ("serve",),  # the explorer's web application, over the library
    ("cli",),
)
#: The facade and the entry point sit above everything (they only name what they export).
FACADE = {"dealernet", "dealernet.__main__"}

#: (importing module, function or method, imported module): the upward doors we allow.
DOORS = {
    ("dealernet.analysis.result", "Result._repr_html_", "dealernet.render.notebook"),
    ("dealernet.analysis.result", "Result.explore", "dealernet.render.maps"),
    ("dealernet.analysis.result", "Result.query", "dealernet.planning.query"),
    ("dealernet.analysis.result", "Result.write", "dealernet.render.run_folder"),
    ("dealernet.analysis.result", "<type checking>", "dealernet.planning.query"),
    ("dealernet.planning.query", "QueryResult.to_geodataframe", "dealernet.outputs.formats"),
    ("dealernet.planning.query", "QueryResult.write", "dealernet.outputs.formats"),
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    where: str  # function or method, "<module>" or "<type checking>"
    target: str  # imported module
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(name: str) -> str | None:
    """The module an import names: ``dealernet.geo.distance`` or a package's ``__init__``."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(module: str) -> list[Import]:
    """Every import of a dealernet module in ``module``, with where it happens."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[Import] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, child.name if where == "<module>" else where)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name if where in ("<module>",) else f"{where}.{child.name}"
                visit(child, inner)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                visit(child, "<type checking>")
            elif isinstance(child, ast.ImportFrom) and child.module:
                base = child.module
                if child.level:  # relative import
                    base = ".".join(module.split(".")[: -child.level] + [child.module])
                for alias in child.names:
                    target = resolve(f"{base}.{alias.name}") if base == "dealernet" else None
                    target = target if target and target != "dealernet" else resolve(base)
                    if target and target.startswith("dealernet"):
                        found.append(Import(module, where, target, child.lineno))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    target = resolve(alias.name)
                    if target and target.startswith("dealernet"):
                        found.append(Import(module, where, target, child.lineno))
            else:
                visit(child, where)

    visit(tree, "<module>")
    return found


def folder(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 2 and not (PACKAGE / parts[1]).is_dir():
        return ""  # a top-level base module
    return parts[1] if len(parts) > 1 else ""


def layer(module: str) -> int:
    name = folder(module)
    return next(i for i, names in enumerate(LAYERS) if name in names)


ALL_IMPORTS = [i for m in MODULES for i in imports_of(m)]


def test_every_stage_folder_has_a_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == {name for names in LAYERS for name in names if name}


def test_imports_only_go_down_the_layers() -> None:
    upward = [
        i
        for i in ALL_IMPORTS
        if i.source not in FACADE
        and i.target != "dealernet"
        and layer(i.target) > layer(i.source)
        and (i.source, i.where, i.target) not in DOORS
    ]
    assert not upward, "\n".join(
        f"{i.source}:{i.line} ({i.where}) imports {i.target}, a higher layer" for i in upward
    )


def test_sibling_stages_do_not_import_each_other() -> None:
    across = [
        i
        for i in ALL_IMPORTS
        if i.source not in FACADE
        and i.target != "dealernet"
        and layer(i.target) == layer(i.source)
        and folder(i.target) != folder(i.source)
    ]
    assert not across, "\n".join(f"{i.source}:{i.line} imports {i.target}" for i in across)


def test_no_import_circle() -> None:
    """Tarjan's strongly connected components over every import but the doors."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in ALL_IMPORTS:
        if i.source in FACADE or i.target == "dealernet" or i.target == i.source:
            continue
        if (i.source, i.where, i.target) not in DOORS:
            graph[i.source].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
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
            connect(node)
    assert not circles, circles


def test_every_door_is_still_used() -> None:
    """A door that no longer exists should leave the list, so the list stays honest."""
    used = {(i.source, i.where, i.target) for i in ALL_IMPORTS}
    assert used >= DOORS, DOORS - used


@pytest.mark.parametrize(
    ("source", "target"),
    [("dealernet.geo.distance", "dealernet.render.maps"), ("dealernet._csv", "dealernet.io")],
)
def test_the_layer_check_would_catch_an_upward_import(source: str, target: str) -> None:
    assert layer(target) > layer(source)


def test_no_module_is_much_over_500_lines() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > 550}
    assert not long, long


#: Columns that every stage reads; modules name them through ``dealernet.schema``.
KEY_COLUMNS = ("dealer_id", "owner_group", "brand", "decision", "host_dealer_id")


def test_key_columns_are_named_through_schema_constants() -> None:
    """``frame["decision"]`` outside schema.py is a rename waiting to be missed."""
    bare = []
    for module, path in MODULES.items():
        if module == "dealernet.schema":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = node.slice if isinstance(node, ast.Subscript) else None
            if isinstance(key, (ast.Tuple, ast.List)):
                keys = key.elts
            else:
                keys = [key] if key is not None else []
            bare += [
                f"{module}:{node.lineno} [{k.value!r}]"
                for k in keys
                if isinstance(k, ast.Constant) and k.value in KEY_COLUMNS
            ]
    assert not bare, bare
