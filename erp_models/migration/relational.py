"""Mapping clauses for relational exports: a column looked up or aggregated from another file by key, a
default reference (a fallback record a reference takes when it is empty), and the `date` transform's DST
policy, with the checks that refuse them when the mapping loads. See docs/migration-mapping.md §11."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from erp_models.migration.sources import Strict
from erp_models.migration.targets import TARGETS

Missing = Literal["null", "default", "quarantine"]


class Related(Strict):
    """Rows of another source that belong to this row: those whose `on` column equals this row's `key`."""

    source: str = Field(description="A name under the mapping's `sources:`, or an entity (its source is read).")
    key: str = Field(description="The source column (or a field declared earlier) of this row.")
    on: str | None = Field(default=None, description="The other source's column to match; default: `key`.")
    missing: Missing = Field(default="null", description="No matching row: null, the column's `default`, or "
                                                          "quarantine the row as no_match_<field>.")

    @property
    def match_column(self) -> str:
        return self.on or self.key


class Lookup(Related):
    """The value of `column` in the first row of `source` whose `on` equals this row's `key`."""

    column: str


class Aggregate(Related):
    """sum, count, min or max over every row of `source` whose `on` equals this row's `key`."""

    sum: list[str] | None = Field(default=None, description="Columns added up (e.g. [price, freight_value]).")
    count: bool = False
    min: str | None = None
    max: str | None = None
    scale: int = Field(default=2, ge=0, le=9, description="Decimal digits kept when adding up or comparing.")

    @model_validator(mode="after")
    def _one_function(self) -> Aggregate:
        chosen = [n for n, v in (("sum", self.sum), ("count", self.count or None), ("min", self.min),
                                 ("max", self.max)) if v]
        if len(chosen) != 1:
            raise ValueError("an aggregate takes exactly one of `sum: [columns]`, `count: true`, `min: column`, "
                             "`max: column`")
        if self.count and self.missing != "null":
            raise ValueError("a count has no missing case: no matching row counts 0")
        return self

    @property
    def function(self) -> str:
        return "sum" if self.sum else "count" if self.count else "min" if self.min else "max"

    @property
    def columns(self) -> list[str]:
        return list(self.sum or []) + [c for c in (self.min, self.max) if c]


def other_columns(related: Related) -> list[str]:
    """The columns of the other source that a lookup or an aggregate reads."""
    if isinstance(related, Lookup):
        return list(dict.fromkeys([related.match_column, related.column]))
    if isinstance(related, Aggregate):
        return list(dict.fromkeys([related.match_column, *related.columns]))
    return [related.match_column]


DST_POLICIES = ("earliest", "latest", "quarantine")


def check_date(arg: dict[str, Any]) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    unknown = sorted(set(arg) - {"formats", "tz", "ambiguous", "nonexistent"})
    if unknown:
        raise ValueError(f"date: unknown argument {unknown[0]!r} (arguments: formats, tz, ambiguous, nonexistent)")
    for key in ("ambiguous", "nonexistent"):
        if arg.get(key, "quarantine") not in DST_POLICIES:
            raise ValueError(f"date: {key} is one of {', '.join(DST_POLICIES)}, not {arg[key]!r}")
    try:
        ZoneInfo(str(arg.get("tz", "Asia/Shanghai")))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"date: unknown time zone {arg.get('tz')!r} (an IANA name such as America/Sao_Paulo)") \
            from None


def referenced_target(target: str, field: str) -> str | None:
    """The target whose table a code reference of `target` names (None: not a code reference)."""
    ref = next((r for r in TARGETS[target].refs if r.field == field and r.by != "legacy"), None)
    return None if ref is None else next((t.name for t in TARGETS.values() if t.table == ref.table), None)


def check_default_reference(target: str, field: str, record: dict[str, str]) -> None:
    other = referenced_target(target, field)
    if other is None:
        raise ValueError(f"columns.{field}.default_reference: {field} is not a reference by code")
    fields = TARGETS[other].field_names()
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise ValueError(f"columns.{field}.default_reference: unknown field {unknown[0]!r} of target {other} "
                         f"(fields: {', '.join(fields)})")
    needed = [f.name for f in TARGETS[other].fields if f.required and f.name not in record]
    if needed:
        raise ValueError(f"columns.{field}.default_reference: a {other} record needs {needed[0]!r}")
