"""The architecture, checked by tools rather than by eye (docs/architecture.md): the layers and
their contracts (import-linter), no import circles, no import hidden inside a function, no SQL
outside the store package, declared dependencies (deptry), honest ``__all__`` lists, and one
declaration per table shape."""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import polars as pl
import pytest
from conftest import make_store

from registry.domain import tables

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("registry", "importers", "questionnaires", "dashboards")
SOURCES = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
# Imports inside a function are allowed only for an optional dependency, named here with why.
OPTIONAL_IMPORTS: dict[str, str] = {}


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_the_import_contracts_hold():
    result = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_module_takes_part_in_an_import_circle():
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    # Tarjan's strongly connected components: a component of more than one module is a circle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(module: str) -> None:
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for target in edges[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert not circles, circles


def test_no_import_hides_inside_a_function():
    hidden = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        module = inner.module if isinstance(inner, ast.ImportFrom) else inner.names[0].name
                        if module not in OPTIONAL_IMPORTS:
                            hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno} {ast.unparse(inner)}")
    assert not hidden, hidden


_SQL = re.compile(
    r"""(\.(frame|frames|frame_with|scalar|execute|execute_with|insert_frame|insert_new|delete_rows)\(|"""
    r"""\.transaction\(|\bcon\.sql\(|\b(SELECT|INSERT INTO|DELETE FROM|CREATE TABLE|ALTER TABLE)\b\s+[\w*(])"""
)


def test_no_sql_outside_the_store_package():
    found = []
    for path in SOURCES:
        if path.is_relative_to(ROOT / "registry" / "store"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _SQL.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, found


def test_every_dependency_is_declared_and_used():
    result = subprocess.run([_tool("deptry"), "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _modules() -> list[str]:
    names = []
    for path in SOURCES:
        if "pages" in path.parts:  # page scripts run top to bottom; they export nothing
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


@pytest.mark.parametrize("name", _modules())
def test_all_lists_the_public_names(name):
    """As httpx tests its own: every name in ``__all__`` exists, and every public function, class
    or constant the module defines itself is in it."""
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(exported) == len(set(exported)), f"{name}: __all__ repeats names"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"
    source = Path(module.__file__).read_text(encoding="utf-8")  # type: ignore[arg-type]
    defined = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    public = {n for n in defined if not n.startswith("_")}
    assert public <= set(exported), f"{name}: public but not in __all__: {sorted(public - set(exported))}"


@pytest.mark.parametrize(
    ("table", "shape"),
    [
        ("supplier", tables.SUPPLIER_SCHEMA),
        ("level_request", tables.REQUEST_SCHEMA),
        ("subcontractor_proposal", tables.PROPOSAL_SCHEMA),
        ("supplier_link", tables.LINK_SCHEMA),
        ("certificate", tables.CERTIFICATE_SCHEMA),
        ("submission", {k: v for k, v in tables.SUBMISSION_SCHEMA.items() if k != "local_index"}),
        ("answer", {k: v for k, v in tables.ANSWER_SCHEMA.items() if k != "local_index"}),
        ("yearly_check", tables.YEARLY_CHECK_SCHEMA),
    ],
)
def test_each_table_shape_is_the_tables_own(tmp_path, table, shape):
    """The one declaration of a table's shape (registry/domain/tables.py) names columns the table
    has, with types a frame of that shape inserts as (checked against the migrated registry)."""
    store = make_store(tmp_path / "r.duckdb")
    columns = store.frame("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [table]).rows()
    types = dict(columns)
    sql_of = {
        pl.String: "VARCHAR",
        pl.Int32: "INTEGER",
        pl.Int64: "BIGINT",
        pl.Boolean: "BOOLEAN",
        pl.Date: "DATE",
        pl.Float64: "DOUBLE",
    }
    for column, dtype in shape.items():
        assert column in types, f"{table}.{column} is declared but the table has no such column"
        expected = next((sql for kind, sql in sql_of.items() if dtype == kind), None)
        assert expected is None or types[column] == expected, f"{table}.{column}: {types[column]} vs {dtype}"
