"""Vectorised transforms from raw legacy strings to typed target fields, with per-row reasons for failures.

Pure pandas: no I/O. State that spans batches (exact-duplicate hashes, per-key row counters) lives in
`TransformState`, so streaming a file batch by batch gives the same result as reading it whole.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from erp_models.migration.mapping import Column, Entity, RunningTotal
from erp_models.migration.targets import TARGETS, Field

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


@dataclass
class TransformState:
    seen_rows: SeenHashes = field(default_factory=lambda: SeenHashes())
    counters: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    next_row: int = 0


class SeenHashes:
    """64-bit row hashes seen in earlier batches, as one sorted array: 8 bytes a row where a set of Python
    ints takes about 70, and a lookup of a whole batch is one vectorised binary search."""

    def __init__(self) -> None:
        self._sorted = np.empty(0, dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._sorted)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        if not len(self._sorted):
            return np.zeros(len(hashes), dtype=bool)
        at = np.searchsorted(self._sorted, hashes).clip(max=len(self._sorted) - 1)
        return np.asarray(self._sorted[at] == hashes)

    def add(self, hashes: np.ndarray) -> None:
        # A stable sort of two sorted runs is a linear merge (timsort), not a full sort.
        self._sorted = np.sort(np.concatenate([self._sorted, np.sort(hashes)]), kind="stable")


@dataclass
class Batch:
    """One transformed batch: typed rows ready for the gate, and what was set aside."""

    frame: pd.DataFrame  # target fields + legacy_key, row_hash, _row, _line
    raw: pd.DataFrame  # the source rows of `frame` and of the quarantined rows, same index
    quarantined: dict[int, list[str]]  # index label -> reason codes (transform failures)
    rejected: Counter[str]
    read: int


class TransformError(ValueError):
    """A transform that cannot run at all (a bad pattern, an unknown transform name)."""


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string")


def apply_transform(values: pd.Series, spec: str | dict[str, Any]) -> tuple[pd.Series, pd.Series | None]:
    """One transform step; returns the values and, for parsing steps, a mask of rows that failed."""
    arg: Any
    name, arg = (spec, None) if isinstance(spec, str) else next(iter(spec.items()))
    s = values
    if name == "trim":  # a value of blanks only is missing, not an empty text a not-null check would pass
        stripped = _text(s).str.strip()
        return stripped.mask(stripped == ""), None
    if name == "squeeze":
        squeezed = _text(s).str.replace(r"\s+", " ", regex=True).str.strip()
        return squeezed.mask(squeezed == ""), None
    if name in ("upper", "lower", "title"):
        return getattr(_text(s).str, name)(), None
    if name == "regex_extract":
        pattern, group = (arg, 1) if isinstance(arg, str) else (arg["pattern"], int(arg.get("group", 1)))
        return _text(s).str.extract(pattern, expand=True)[group - 1], None
    if name == "replace":
        return _text(s).str.replace(arg["pattern"], arg.get("with", ""), regex=True), None
    if name == "null_if":
        return s.mask(_text(s).isin([str(v) for v in (arg if isinstance(arg, list) else [arg])])), None
    if name == "value_map":
        mapping = {str(k): v for k, v in (arg.get("map", arg) if isinstance(arg, dict) else {}).items()}
        fallback = arg.get("default", "keep") if isinstance(arg, dict) and "map" in arg else "keep"
        mapped = _text(s).map(mapping)
        if fallback == "keep":
            return mapped.fillna(s), None
        return (mapped if fallback is None else mapped.fillna(fallback)), None
    if name == "int":
        return _to_int(s)
    if name == "decimal":
        return _to_minor_units(s, **(arg or {}))
    if name == "date":
        return to_datetime(s, **(arg or {}))
    if name == "abs":
        numbers, bad = (s, None) if pd.api.types.is_numeric_dtype(s) else _to_int(s)
        return numbers.abs(), bad
    raise TransformError(f"unknown transform {name!r}")


def _to_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Most values parse as they are; only the others are stripped and parsed again (stripping all is slow).
    numbers = pd.to_numeric(s, errors="coerce")
    bad = numbers.isna() & s.notna()
    if bool(bad.any()):
        plain = _text(s[bad]).str.strip()
        numbers = numbers.astype("Float64").fillna(pd.to_numeric(plain, errors="coerce").astype("Float64"))
        bad &= numbers.isna() & (plain != "").reindex(s.index, fill_value=False)
    if not pd.api.types.is_integer_dtype(numbers):  # fractions, and 'inf', are not integers
        numbers = numbers.astype("Float64")
        bad |= ((numbers % 1 != 0) | (numbers.abs() == np.inf)).fillna(False)
    return numbers.where(~bad).astype("Int64"), bad.astype(bool)


def _to_minor_units(s: pd.Series, scale: int = 2, decimal_sep: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Decimal text to integer minor units. Without `decimal_sep`, '1,234.50' and '1.234,50' both work:
    the separator that comes last is the decimal one."""
    plain = _text(s).str.strip()
    if decimal_sep == ",":
        return _messy_minor_units(plain, scale, decimal_sep)
    # Most values are plain numbers ('129.00'); only the others need the cleaning, which is slow. Cleaning
    # leaves a plain number as it is, so both ways give the same result.
    numbers = pd.to_numeric(plain, errors="coerce")
    messy = numbers.isna() & plain.notna() & (plain != "")
    minor = (numbers * 10**scale).round().astype("Int64")
    if not bool(messy.any()):
        return minor, messy
    cleaned, bad = _messy_minor_units(plain[messy], scale, decimal_sep)
    minor[messy] = cleaned
    return minor, bad.reindex(s.index, fill_value=False)


def _messy_minor_units(plain: pd.Series, scale: int, decimal_sep: str | None) -> tuple[pd.Series, pd.Series]:
    text = plain.str.replace(r"[¥￥$\s]", "", regex=True)
    if decimal_sep is None:
        comma_last = text.str.rfind(",") > text.str.rfind(".")
        text = text.where(~comma_last, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        text = text.where(comma_last, text.str.replace(",", "", regex=False))
    elif decimal_sep == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & text.notna() & (text != "")
    minor = (numbers * 10**scale).round()
    return minor.where(~bad).astype("Int64"), bad


def to_datetime(
    s: pd.Series, formats: list[str] | None = None, tz: str = "Asia/Shanghai"
) -> tuple[pd.Series, pd.Series]:
    """Text to timezone-aware datetimes: values with an offset keep it, values without one are in `tz`."""
    text = _text(s).str.strip()
    # Only ISO 8601, formats with %z or %Z and formats ending in a literal Z (UTC) read an offset. With the
    # others a value that merely ends like one ('20240601-1030') must not be taken for UTC, and the search
    # for offsets is the slowest step.
    offsets = any(f in ("ISO8601", "mixed") or "%z" in f or "%Z" in f or f.rstrip().endswith("Z")
                  for f in formats or ["ISO8601"])
    aware = (text.str.contains(r"(?:[+-]\d{2}:?\d{2}|Z)$", regex=True, na=False) if offsets
             else pd.Series(False, index=text.index))
    result = pd.Series(pd.NaT, index=s.index, dtype=f"datetime64[ns, {tz}]")
    for fmt in formats or ["ISO8601"]:
        naive = pd.to_datetime(text.where(~aware), format=fmt, errors="coerce")
        result = result.fillna(naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT"))
        if bool(aware.any()):
            offset = pd.to_datetime(text.where(aware), format=fmt, errors="coerce", utc=True)
            result = result.fillna(offset.dt.tz_convert(tz))
    bad = result.isna() & text.notna() & (text != "")
    return result, bad


def datetime_text(values: pd.Series) -> pd.Series:
    """Timezone-aware datetimes as text, each on its own: ``YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM``.

    The fraction is written only when it is not zero (nine digits when there are nanoseconds). pandas'
    ``astype(str)`` picks one precision for the whole column, so a value's text, and the hash of its row,
    would depend on the other rows of its batch; this is also three times faster (numpy, no per-value Python).
    """
    if not isinstance(values.dtype, pd.DatetimeTZDtype) or values.empty:
        return values.astype("string")
    wall = values.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    present = ~np.isnat(wall)
    wall, utc = np.where(present, wall, np.datetime64(0, "ns")), np.where(present, utc, np.datetime64(0, "ns"))
    fraction = (wall - wall.astype("datetime64[s]")).astype(np.int64)
    digits = np.where(fraction % 1000 == 0, np.char.zfill((fraction // 1000).astype(str), 6),
                      np.char.zfill(fraction.astype(str), 9))
    seconds = np.char.replace(np.datetime_as_string(wall, unit="s"), "T", " ")
    text = np.where(fraction == 0, seconds, np.char.add(np.char.add(seconds, "."), digits))
    seconds_east = ((wall - utc) // np.timedelta64(1, "s")).astype(np.int64)
    east = abs(seconds_east)
    hours = np.char.zfill((east // 3600).astype(str), 2)
    offset = np.char.add(np.char.add(np.where(seconds_east < 0, "-", "+"), hours),
                         np.char.add(":", np.char.zfill((east // 60 % 60).astype(str), 2)))
    # Local mean time before standard zones (Shanghai until 1901: +08:05:43) has seconds in its offset.
    offset = np.where(east % 60 == 0, offset, np.char.add(np.char.add(offset, ":"),
                                                         np.char.zfill((east % 60).astype(str), 2)))
    return pd.Series(np.char.add(text, offset), index=values.index, dtype="string").where(present)


def _template(frame: pd.DataFrame, raw: pd.DataFrame, template: str, *, whole: bool = False) -> pd.Series:
    """The template with each placeholder's stripped value (empty for null). `whole`: null when any
    placeholder is empty, as a legacy key must be: a key with a missing part identifies nothing."""
    parts = PLACEHOLDER.split(template)
    out = pd.Series("", index=raw.index, dtype="string")
    missing = pd.Series(False, index=raw.index)
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out = out + part
        else:
            column = frame[part] if part in frame else raw[part]
            value = _text(column).fillna("").str.strip()
            missing |= value == ""
            out = out + value
    return out.mask(missing) if whole else out


def _column_values(column: Column, raw: pd.DataFrame, frame: pd.DataFrame,
                   state: TransformState) -> pd.Series:
    if column.from_ is not None:
        return raw[column.from_]
    if column.value is not None:
        return pd.Series(column.value, index=raw.index, dtype="string")
    if column.template is not None:
        return _template(frame, raw, column.template)
    if column.running_total is not None:
        return _running_total(column.running_total, raw, frame, state)
    keys = _template(frame, raw, "|".join(f"{{{c}}}" for c in column.sequence_within or []))
    return _carried(keys, np.ones(len(keys), dtype=np.int64), state.counters)


def _carried(keys: pd.Series, amounts: np.ndarray, carry: dict[str, int]) -> pd.Series:
    """Running sums of `amounts` per key, on from the previous batches' sums in `carry` (updated in place).

    Vectorised: a Python loop over every row cost more than the rest of the transform."""
    codes, uniques = pd.factorize(keys.to_numpy(dtype=object))
    before = np.fromiter((carry.get(k, 0) for k in uniques), dtype=np.int64, count=len(uniques))
    running = pd.Series(amounts).groupby(codes).cumsum().to_numpy() + before[codes]
    last = pd.Series(running).groupby(codes).last()
    carry.update(zip(uniques[last.index.to_numpy()].tolist(), last.to_numpy().tolist(), strict=True))
    return pd.Series(running, index=keys.index, dtype="Int64")


def _running_total(spec: RunningTotal, raw: pd.DataFrame, frame: pd.DataFrame, state: TransformState) -> pd.Series:
    keys = _template(frame, raw, "|".join(f"{{{c}}}" for c in spec.within))
    qty, _ = _to_int(raw[spec.quantity])
    price, _ = _to_minor_units(raw[spec.price])
    amounts = (qty * price).fillna(0).astype("int64")
    if spec.absolute:
        amounts = amounts.abs()
    return _carried(keys, amounts.to_numpy(dtype=np.int64), state.totals)


def finish_kind(values: pd.Series, spec: Field) -> tuple[pd.Series, pd.Series | None]:
    """Bring a field to its target type when no transform already did."""
    if spec.kind == "int" and not pd.api.types.is_integer_dtype(values):
        return _to_int(values)
    if spec.kind == "money" and not pd.api.types.is_integer_dtype(values):
        return _to_minor_units(values)
    if spec.kind == "datetime" and not isinstance(values.dtype, pd.DatetimeTZDtype):
        return to_datetime(values)
    if spec.kind == "text":
        return _text(values), None
    return values, None


def transform_batch(raw: pd.DataFrame, entity: Entity, state: TransformState) -> Batch:
    """Typed target fields for one batch of raw rows (all strings), plus what was rejected or failed."""
    read = len(raw)
    raw = raw.set_axis(range(state.next_row, state.next_row + read))
    state.next_row += read
    raw = raw.replace({"": None})
    rejected: Counter[str] = Counter()
    if entity.dedupe.exact and read:
        hashes = pd.util.hash_pandas_object(raw.drop(columns=["_line"]), index=False).to_numpy(dtype=np.uint64)
        first_in_batch = ~pd.Series(hashes).duplicated().to_numpy()
        keep = first_in_batch & ~state.seen_rows.contains(hashes)
        state.seen_rows.add(hashes[keep])
        rejected["duplicate_row"] += int((~keep).sum())
        raw = raw[keep]
    for rule in entity.reject:
        values = _text(raw[rule.column]).str.strip()
        hit = values.isin(rule.in_ or []) if rule.in_ is not None else pd.Series(False, index=raw.index)
        if rule.matches:
            with warnings.catch_warnings():  # groups in the pattern are fine: only whether it is found counts
                warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
                hit |= values.str.contains(rule.matches, regex=True, na=False)
        if rule.empty:
            hit |= values.isna() | (values == "")
        rejected[rule.reason] += int(hit.sum())
        raw = raw[~hit.fillna(False).astype(bool)]
    target = TARGETS[entity.target]
    frame = pd.DataFrame(index=raw.index)
    failures: dict[int, list[str]] = {}
    for name, column in entity.columns.items():
        values = _column_values(column, raw, frame, state)
        if column.default is not None:  # an empty source value takes the default, then goes through the transforms
            values = values.where(values.notna(), column.default)
        for spec in column.transforms:
            values, bad = apply_transform(values, spec)
            _note(failures, bad, f"bad_{name}")
        values, bad = finish_kind(values, target.field(name))
        _note(failures, bad, f"bad_{name}")
        frame[name] = values
    for missing in target.fields:
        if missing.name not in frame:
            frame[missing.name] = pd.Series(pd.NA, index=raw.index, dtype="object")
    frame["legacy_key"] = _template(frame, raw, entity.legacy_key, whole=True)  # the gate quarantines a null one
    # One row per legacy key, as the mapping says (first or last); across batches staging does the same.
    repeated = frame["legacy_key"].duplicated(keep=entity.dedupe.keep) & frame["legacy_key"].notna()
    if bool(repeated.any()):
        rejected["duplicate_key"] += int(repeated.sum())
        frame, raw = frame[~repeated], raw[~repeated]
        failures = {k: v for k, v in failures.items() if k in frame.index}
    fields = target.field_names()
    as_text = frame[fields].astype({n: "string" for n in fields if not isinstance(frame[n].dtype, pd.DatetimeTZDtype)})
    for name in fields:
        if isinstance(as_text[name].dtype, pd.DatetimeTZDtype):
            as_text[name] = datetime_text(as_text[name])
    frame["row_hash"] = pd.util.hash_pandas_object(as_text, index=False).map("{:016x}".format)
    frame["_line"] = raw["_line"]
    return Batch(frame=frame, raw=raw, quarantined=failures, rejected=rejected, read=read)


def _note(failures: dict[int, list[str]], bad: pd.Series | None, reason: str) -> None:
    if bad is not None and bool(bad.any()):
        for label in bad[bad.fillna(False)].index:
            failures.setdefault(int(label), []).append(reason)
