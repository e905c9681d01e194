"""Delta watermarks compared as what they mean: dates as instants, numbers as numbers, never as text.

The type comes from the mapping: `watermark: {from: col, transforms: [...]}` says it, else the column that
maps the same source column with a parsing transform (or into a typed field) lends its transforms, else the
values are read as ISO-8601 dates and times. A run records, per entity, the raw text of the highest value
among the rows it loaded; the next delta run parses it the same way. Which value is in force follows the
runs of the mapping in time (`in_force`): a passed run raises it, undoing a run lowers it back to what
that run started from.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from erp_models.migration.mapping import Column, Entity, Mapping
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
    """Raw watermark texts as comparable values; null where empty or unparseable.

    Each distinct text is parsed once: many rows often share one (an order's lines, a day's rows)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    parsed = _parse_texts(pd.Series(uniques, dtype="string"), entity)
    return pd.Series(parsed.array.take(codes, allow_fill=True), index=values.index)


def _parse_texts(values: pd.Series, entity: Entity) -> pd.Series:
    text = values.str.strip()
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


def _lower(mark: str | None, cap: str | None, entity: Entity) -> str | None:
    """The lower of two marks; None (read everything) when either is None or does not parse."""
    if mark is None or cap is None:
        return None
    parsed = parse(pd.Series([mark, cap], dtype="string"), entity)
    if bool(parsed.isna().any()):
        return None
    return mark if bool(parsed.iloc[0] <= parsed.iloc[1]) else cap


@dataclass(frozen=True)
class RunMarks:
    """One load or delta run of a mapping, as far as watermarks go."""

    run_id: uuid.UUID
    delta: bool  # a delta run started from the marks in force; a load read everything
    started_at: datetime
    passed_at: datetime | None = None  # when it finished `passed` (None: it never did)
    undone_at: datetime | None = None
    marks: dict[str, str] = field(default_factory=dict)  # entity -> highest watermark among the rows it loaded


def in_force(history: Iterable[RunMarks], mapping: Mapping) -> dict[str, str]:
    """Per entity of `mapping` with a watermark, the mark a delta run starts from now.

    The runs' events are replayed in time order. A run that passed raises each entity's mark to the highest
    value it loaded. Undoing a run lowers each mark back to the one that run started from (nothing, for a
    load), whatever runs raised it in between: their rows are read again, unchanged, and the undone run's
    rows are loaded again."""
    events: list[tuple[datetime, int, RunMarks]] = []
    for run in history:
        events.append((run.started_at, 0, run))
        if run.passed_at is not None:
            events.append((run.passed_at, 1, run))
        if run.undone_at is not None:
            events.append((run.undone_at, 2, run))
    watermarked = {n: e for n, e in mapping.entities.items() if e.watermark_column}
    marks: dict[str, str | None] = {}
    started_from: dict[uuid.UUID, dict[str, str | None]] = {}
    for _, kind, run in sorted(events, key=lambda event: (event[0], event[1])):
        if kind == 0:
            started_from[run.run_id] = dict(marks) if run.delta else {}
        elif kind == 1:
            for name, mark in run.marks.items():
                if name in watermarked:
                    marks[name] = highest([marks.get(name), mark], watermarked[name])
        else:
            before = started_from.get(run.run_id, {})
            for name in marks:
                marks[name] = _lower(marks[name], before.get(name), watermarked[name])
    return {name: mark for name, mark in marks.items() if mark is not None}
