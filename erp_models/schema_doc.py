"""Renders the ERP schema as Markdown (docs/schema.md), straight from the models, so the docs cannot drift."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Table, UniqueConstraint
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.sql.elements import ColumnElement

from erp_models.base import Base

AREAS = ("catalogue", "partners", "procurement", "inventory", "sales", "security", "integration", "project",
         "migration")


def _area(table: Table) -> str:
    for mapper in Base.registry.mappers:
        if mapper.local_table is table:
            return str(mapper.class_.__module__.split(".")[1])
    return "other"


def _table_markdown(table: Table) -> list[str]:
    lines = [f"### `{table.name}`", ""]
    if table.comment:
        lines += [table.comment, ""]
    lines += ["| column | type | null | notes |", "|---|---|---|---|"]
    for col in table.columns:
        notes = []
        if col.primary_key:
            notes.append("primary key")
        notes += [f"→ `{fk.target_fullname}`" for fk in col.foreign_keys]
        if col.server_default is not None:
            notes.append(f"default `{getattr(col.server_default, 'arg', '')}`")
        lines.append(f"| `{col.name}` | {col.type} | {'yes' if col.nullable else 'no'} | {', '.join(notes)} |")
    rules = []
    for cons in sorted(table.constraints, key=lambda c: str(c.name)):
        if isinstance(cons, CheckConstraint):
            text = cast(ColumnElement[Any], cons.sqltext)
            sql = text.compile(dialect=PGDialect(), compile_kwargs={"literal_binds": True})  # type: ignore[no-untyped-call]
            rules.append(f"- check `{cons.name}`: `{sql}`")
        elif isinstance(cons, UniqueConstraint):
            rules.append(f"- unique `{cons.name}`: ({', '.join(c.name for c in cons.columns)})")
        elif isinstance(cons, ForeignKeyConstraint) and cons.ondelete:
            rules.append(f"- foreign key `{cons.name}`: on delete {cons.ondelete}")
    if not table.info.get("erp_content", True):
        rules.append("- bookkeeping: left out of `erpops db fingerprint`")
    return [*lines, "", *rules, ""] if rules else [*lines, ""]


def render_schema_markdown() -> str:
    """The whole schema reference, grouped by business area."""
    by_area: dict[str, list[Table]] = {}
    for table in Base.metadata.sorted_tables:
        by_area.setdefault(_area(table), []).append(table)
    out = [
        "# ERP schema reference",
        "",
        "Generated from `erp_models` by `erpops db describe > docs/schema.md`; a test keeps it current.",
        "Money columns are integer minor units (fen for CNY) next to a `currency` column.",
        "The stock ledger is append-only (trigger `stock_ledger_append_only`).",
        "",
    ]
    for area in [*AREAS, *sorted(set(by_area) - set(AREAS))]:
        if area in by_area:
            out += [f"## {area}", ""]
            for table in sorted(by_area[area], key=lambda t: t.name):
                out += _table_markdown(table)
    return "\n".join(out).rstrip() + "\n"
