"""The layers of DESIGN.md hold in the code: the domain imports no orchestration, tasks never import flows, and
flows (and the migration's tasks) hold no SQL; the migration's statuses, modes and targets are named by enums
and the registry, never by string literals."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_NEVER = ("prefect", "great_expectations", "locust", "fastapi", "infra", "expectations", "tasks", "flows",
                "erpops")


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def imported(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def offending(package: str, never: tuple[str, ...]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {name}" for path in modules(package)
            for line, name in imported(path) if name.split(".")[0] in never]


def test_the_domain_imports_no_orchestration_no_gx_and_nothing_above_it() -> None:
    assert offending("erp_models", DOMAIN_NEVER) == []


def test_tasks_never_import_flows() -> None:
    assert offending("tasks", ("flows", "erpops")) == []


@pytest.mark.parametrize("package", ["flows", "tasks/migration"])
def test_no_sql_in_flows_or_the_migrations_tasks(package: str) -> None:
    found = []
    for path in modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            name = getattr(called, "attr", None) or getattr(called, "id", None)
            if name in {"text", "execute", "exec_driver_sql"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {name}()")
    assert found == []


def test_no_migration_status_mode_or_target_literal_outside_enums_and_the_registry() -> None:
    """A status, mode, checkpoint phase or load strategy of a migration is its StrEnum member, and a target is
    known by its registry entry: such a word may only be a key (of a dict or a JSON document), never a value."""
    from erp_models.enums import CheckpointPhase, LoadStrategy, MigrationMode, MigrationRunStatus

    words = {str(v) for enum in (MigrationRunStatus, MigrationMode, CheckpointPhase, LoadStrategy) for v in enum}
    words |= {"opening_stock"}
    paths = [ROOT / "flows" / "migration.py", *modules("tasks/migration"), *modules("erp_models/migration")]
    found = []
    for path in paths:
        if path.name == "targets.py":  # the registry names its targets
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        keys = {id(k) for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys}
        keys |= {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
        keys |= {id(n.body[0].value) for n in ast.walk(tree)  # docstrings
                 if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef) and n.body
                 and isinstance(n.body[0], ast.Expr)}
        found += [f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and node.value in words and id(node) not in keys]
    assert found == []
