"""Delta watermarks compared as what they mean: dates as instants, numbers as numbers, never as text.

The type comes from the mapping: `watermark: {from: col, transforms: [...]}` says it, else the column that
maps the same source column with a parsing transform (or into a typed field) lends its transforms, else the
values are read as ISO-8601 dates and times. A run records the raw text of its highest value; the next
delta run parses it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from erp_models.migration.mapping import Column, Entity
from erp_models.migration.targets import TARGETS, Field, Kind
from erp_models.migration.transform import apply_transform, finish_kind, to_datetime

PARSING = {"int", "decimal", "date", "abs"}
TYPED: set[Kind] = {"int", "money", "datetime", "date"}


def _steps(entity: Entity) -> tuple[list[Any], Kind | None] | None:
    """The transforms (and field kind) that type the watermark; None when it is read as ISO-8601."""
    if isinstance(entity.watermark, Column):
        return list(entity.watermark.transforms), None
    for name, column in entity.columns.items():
        if column.from_ != entity.watermark:
            continue
        kind = TARGETS[entity.target].field(name).kind
        names = {step if isinstance(step, str) else next(iter(step)) for step in column.transforms}
        if names & PARSING or kind in TYPED:
            return list(column.transforms), kind if kind in TYPED else None
    return None


def typed(entity: Entity) -> bool:
    """Whether the mapping says how to compare the watermark (otherwise: ISO-8601 dates and times)."""
    return _steps(entity) is not None


def parse(values: pd.Series, entity: Entity) -> pd.Series:
    """Raw watermark texts as comparable values; null where empty or unparseable."""
    text = values.astype("string").str.strip()
    text = text.mask(text == "")
    spec = _steps(entity)
    if spec is None:
        parsed, _ = to_datetime(text)
        return parsed
    steps, kind = spec
    result = text
    for step in steps:
        result, bad = apply_transform(result, step)
        if bad is not None:
            result = result.mask(bad.fillna(False).astype(bool))
    if kind is not None:
        result, bad = finish_kind(result, Field("watermark", kind))
        if bad is not None:
            result = result.mask(bad.fillna(False).astype(bool))
    return result


def highest(marks: Sequence[str | None], entity: Entity) -> str | None:
    """The raw text among `marks` whose parsed value is the greatest (None if none parses)."""
    raw = pd.Series([m for m in marks if m is not None], dtype="string")
    if raw.empty:
        return None
    parsed = parse(raw, entity)
    if not bool(parsed.notna().any()):
        return None
    return str(raw.iloc[int(parsed.reset_index(drop=True).idxmax())])
