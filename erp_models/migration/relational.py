"""Mapping clauses for relational exports: a column looked up or aggregated from another file by key, and a
default reference (a fallback record a reference takes when it is empty). See docs/migration-mapping.md §10."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Missing = Literal["null", "default", "quarantine"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Related(_Strict):
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
