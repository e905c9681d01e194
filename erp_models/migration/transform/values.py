"""Value transforms: raw legacy strings to typed values (numbers, money in minor units, datetimes), each
with a mask of the values that could not be read. Pure pandas and numpy, row by row independent."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from erp_models.migration.targets import Field


class TransformError(ValueError):
    """A transform that cannot run at all (a bad pattern, an unknown transform name)."""


def as_text(series: pd.Series) -> pd.Series:
    return series.astype("string")


def apply_transform(values: pd.Series, spec: str | dict[str, Any]) -> tuple[pd.Series, pd.Series | None]:
    """One transform step; returns the values and, for parsing steps, a mask of rows that failed."""
    arg: Any
    name, arg = (spec, None) if isinstance(spec, str) else next(iter(spec.items()))
    s = values
    if name == "trim":  # a value of blanks only is missing, not an empty text a not-null check would pass
        stripped = as_text(s).str.strip()
        return stripped.mask(stripped == ""), None
    if name == "squeeze":
        squeezed = as_text(s).str.replace(r"\s+", " ", regex=True).str.strip()
        return squeezed.mask(squeezed == ""), None
    if name in ("upper", "lower", "title"):
        return getattr(as_text(s).str, name)(), None
    if name == "regex_extract":
        pattern, group = (arg, 1) if isinstance(arg, str) else (arg["pattern"], int(arg.get("group", 1)))
        return as_text(s).str.extract(pattern, expand=True)[group - 1], None
    if name == "replace":
        return as_text(s).str.replace(arg["pattern"], arg.get("with", ""), regex=True), None
    if name == "null_if":
        return s.mask(as_text(s).isin([str(v) for v in (arg if isinstance(arg, list) else [arg])])), None
    if name == "value_map":
        mapping = {str(k): v for k, v in (arg.get("map", arg) if isinstance(arg, dict) else {}).items()}
        fallback = arg.get("default", "keep") if isinstance(arg, dict) and "map" in arg else "keep"
        mapped = as_text(s).map(mapping)
        if fallback == "keep":
            return mapped.fillna(s), None
        return (mapped if fallback is None else mapped.fillna(fallback)), None
    if name == "int":
        return to_int(s)
    if name == "decimal":
        return to_minor_units(s, **(arg or {}))
    if name == "date":
        return to_datetime(s, **(arg or {}))
    if name == "abs":
        numbers, bad = (s, None) if pd.api.types.is_numeric_dtype(s) else to_int(s)
        return numbers.abs(), bad
    raise TransformError(f"unknown transform {name!r}")


def to_int(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Most values parse as they are; only the others are stripped and parsed again (stripping all is slow).
    numbers = pd.to_numeric(s, errors="coerce")
    bad = numbers.isna() & s.notna()
    if bool(bad.any()):
        plain = as_text(s[bad]).str.strip()
        numbers = numbers.astype("Float64").fillna(pd.to_numeric(plain, errors="coerce").astype("Float64"))
        bad &= numbers.isna() & (plain != "").reindex(s.index, fill_value=False)
    if not pd.api.types.is_integer_dtype(numbers):  # fractions, and 'inf', are not integers
        numbers = numbers.astype("Float64")
        bad |= ((numbers % 1 != 0) | (numbers.abs() == np.inf)).fillna(False)
    return numbers.where(~bad).astype("Int64"), bad.astype(bool)


def to_minor_units(s: pd.Series, scale: int = 2, decimal_sep: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Decimal text to integer minor units. Without `decimal_sep`, '1,234.50' and '1.234,50' both work:
    the separator that comes last is the decimal one."""
    if decimal_sep == ",":
        return _messy_minor_units(as_text(s).str.strip(), scale, decimal_sep)
    # Most values are plain numbers ('129.00', or with blanks around them, which parsing ignores); only the others
    # are stripped and cleaned, which is slow. Cleaning leaves a plain number as it is: both ways agree.
    numbers = pd.to_numeric(as_text(s), errors="coerce")
    unread = numbers.isna() & s.notna()
    minor = (numbers * 10**scale).round().astype("Int64")
    if not bool(unread.any()):
        return minor, unread
    plain = as_text(s[unread]).str.strip()
    messy = plain.notna() & (plain != "")  # blanks only: a missing value, not a bad one
    cleaned, bad = _messy_minor_units(plain[messy], scale, decimal_sep)
    minor.loc[cleaned.index] = cleaned
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
    s: pd.Series, formats: list[str] | None = None, tz: str = "Asia/Shanghai", ambiguous: str = "quarantine",
    nonexistent: str = "quarantine",
) -> tuple[pd.Series, pd.Series]:
    """Text to timezone-aware datetimes: values with an offset keep it, values without one are in `tz`.

    A local time that a DST change makes ambiguous (it happens twice) or non-existent (the clocks skip it) is
    read as the earliest or the latest instant it can mean, or fails (`quarantine`), as the policy says."""
    text = as_text(s).str.strip()
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
        local = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        if (ambiguous, nonexistent) != ("quarantine", "quarantine") and bool((local.isna() & naive.notna()).any()):
            local = local.fillna(_dst_edges(naive[local.isna() & naive.notna()], tz, ambiguous, nonexistent))
        result = result.fillna(local)
        if bool(aware.any()):
            offset = pd.to_datetime(text.where(aware), format=fmt, errors="coerce", utc=True)
            result = result.fillna(offset.dt.tz_convert(tz))
    bad = result.isna() & text.notna() & (text != "")
    return result, bad


def _dst_edges(naive: pd.Series, tz: str, ambiguous: str, nonexistent: str) -> pd.Series:
    """Wall times at a DST change, read per policy. zoneinfo gives the two readings of each (fold 0: the
    offset before the change, fold 1: after); for a skipped time the one before is the *later* instant.
    Few values reach here, so a loop in Python costs nothing that matters."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    out: dict[Any, pd.Timestamp] = {}
    for label, stamp in naive.items():
        wall = stamp.to_pydatetime()
        first, second = (wall.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
        skipped = first > second  # the wall time never happened: the offset before the change reads it later
        policy = nonexistent if skipped else ambiguous
        if policy == "quarantine":
            continue
        out[label] = pd.Timestamp(min(first, second) if policy == "earliest" else max(first, second)).tz_convert(tz)
    return pd.Series(out, index=naive.index, dtype=f"datetime64[ns, {tz}]")


def datetime_text(values: pd.Series) -> pd.Series:
    """Timezone-aware datetimes as text, each on its own: ``YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM``.

    The fraction is written only when it is not zero (nine digits when there are nanoseconds). pandas'
    ``astype(str)`` picks one precision for the whole column, so a value's text, and the hash of its row,
    would depend on the other rows of its batch; this is also three times faster (numpy, no per-value Python).
    """
    if not isinstance(values.dtype, pd.DatetimeTZDtype) or values.empty:  # other values: as pandas writes them
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



def finish_kind(values: pd.Series, spec: Field) -> tuple[pd.Series, pd.Series | None]:
    """Bring a field to its target type when no transform already did."""
    if spec.kind == "int" and not pd.api.types.is_integer_dtype(values):
        return to_int(values)
    if spec.kind == "money" and not pd.api.types.is_integer_dtype(values):
        return to_minor_units(values)
    if spec.kind == "datetime" and not isinstance(values.dtype, pd.DatetimeTZDtype):
        return to_datetime(values)
    if spec.kind == "text":
        return as_text(values), None
    return values, None

