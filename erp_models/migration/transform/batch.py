"""Transforming a batch of raw rows into an entity's typed fields: exact duplicates, reject rules, columns
and their transforms, rows whose parent was rejected, the legacy key, and the row hash. State that spans
batches (exact-duplicate hashes, per-key counters, lookup and aggregate maps, the parents' rejected keys)
lives in `TransformState`, so a file streamed batch by batch gives what reading it whole does.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from erp_models.migration.mapping import Column, Entity, RunningTotal
from erp_models.migration.targets import TARGETS
from erp_models.migration.transform.relations import KeyMap
from erp_models.migration.transform.values import (
    apply_transform,
    as_text,
    datetime_text,
    finish_kind,
    to_int,
    to_minor_units,
)

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
EXAMPLES = 11  # of the rows a batch drops as repeats, how many it names


@dataclass
class TransformState:
    seen_rows: SeenHashes = field(default_factory=lambda: SeenHashes())
    counters: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    next_row: int = 0
    relations: dict[str, KeyMap] = field(default_factory=dict)  # field -> its lookup or aggregate map
    parent_rejects: dict[str, pd.Series] = field(default_factory=dict)  # ref field -> reason by parent key
    record_rejected: bool = False  # keep the legacy keys of rejected rows (children are rejected with them)


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
    # Per repeat reason, some of what was dropped (legacy keys; source lines of exact repeats), for the quarantine.
    examples: dict[str, list[str]] = field(default_factory=dict)
    rejected_keys: pd.DataFrame | None = None  # legacy_key, reason of rows a reject rule hit (when recorded)



def _template(frame: pd.DataFrame, raw: pd.DataFrame, template: str, *, whole: bool = False) -> pd.Series:
    """The template with each placeholder's stripped value (empty for null). `whole`: null when any
    placeholder is empty, as a legacy key must be: a key with a missing part identifies nothing."""
    parts = PLACEHOLDER.split(template)
    out: pd.Series | None = None  # concatenating only non-empty parts: a bare '{column}' costs no string copies
    missing = pd.Series(False, index=raw.index)
    for i, part in enumerate(parts):
        if i % 2 == 0:
            if part:
                out = pd.Series(part, index=raw.index, dtype="string") if out is None else out + part
        else:
            column = frame[part] if part in frame else raw[part]
            value = as_text(column).fillna("").str.strip()
            missing |= value == ""
            out = value if out is None else out + value
    if out is None:
        out = pd.Series("", index=raw.index, dtype="string")
    return out.mask(missing) if whole else out


def group_keys(raw: pd.DataFrame, within: list[str]) -> pd.Series:
    """The key of each row's group for a counter or running total grouped by these source columns."""
    return _template(pd.DataFrame(index=raw.index), raw, _within_template(within))


def _within_template(within: list[str]) -> str:
    return "|".join(f"{{{c}}}" for c in within)


def _column_values(column: Column, raw: pd.DataFrame, frame: pd.DataFrame,
                   state: TransformState) -> pd.Series:
    if column.from_ is not None:
        return raw[column.from_]
    if column.value is not None:
        return pd.Series(column.value, index=raw.index, dtype="string")
    if column.template is not None:
        return _template(frame, raw, column.template)
    if column.related is not None:  # the key; the map gives the value
        return _template(frame, raw, f"{{{column.related.key}}}")
    if column.running_total is not None:
        return _running_total(column.running_total, raw, frame, state)
    keys = _template(frame, raw, _within_template(column.sequence_within or []))
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
    keys = _template(frame, raw, _within_template(spec.within))
    qty, _ = to_int(raw[spec.quantity])
    price, _ = to_minor_units(raw[spec.price])
    amounts = (qty * price).fillna(0).astype("int64")
    if spec.absolute:
        amounts = amounts.abs()
    return _carried(keys, amounts.to_numpy(dtype=np.int64), state.totals)



def transform_batch(raw: pd.DataFrame, entity: Entity, state: TransformState) -> Batch:
    """Typed target fields for one batch of raw rows (all strings), plus what was rejected or failed."""
    read = len(raw)
    raw = raw.set_axis(range(state.next_row, state.next_row + read))
    state.next_row += read
    raw = raw.replace({"": None})
    rejected: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    keys: list[pd.DataFrame] = []
    if entity.dedupe.exact and read:
        hashes = pd.util.hash_pandas_object(raw.drop(columns=["_line"]), index=False).to_numpy(dtype=np.uint64)
        first_in_batch = ~pd.Series(hashes).duplicated().to_numpy()
        keep = first_in_batch & ~state.seen_rows.contains(hashes)
        state.seen_rows.add(hashes[keep])
        rejected["duplicate_row"] += int((~keep).sum())
        examples["duplicate_row"] = [f"line {n}" for n in raw.loc[~keep, "_line"].head(EXAMPLES).tolist()]
        raw = raw[keep]
    for rule in entity.reject:
        values = as_text(raw[rule.column]).str.strip()
        hit = values.isin(rule.in_ or []) if rule.in_ is not None else pd.Series(False, index=raw.index)
        if rule.matches:
            with warnings.catch_warnings():  # groups in the pattern are fine: only whether it is found counts
                warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
                hit |= values.str.contains(rule.matches, regex=True, na=False)
        if rule.empty:
            hit |= values.isna() | (values == "")
        hit = hit.fillna(False).astype(bool)
        rejected[rule.reason] += int(hit.sum())
        if state.record_rejected and bool(hit.any()):
            keys.append(_rejected_keys(raw[hit], entity, state, rule.reason))
        raw = raw[~hit]
    early_keys, carried = None, None
    if _early_dedupe(entity, state):  # repeated keys leave now, found on the source columns
        carried = _carried_columns(raw, entity, state)  # over every row: the repeats add to the totals too
        early_keys = _template(pd.DataFrame(index=raw.index), raw, entity.legacy_key, whole=True)
        kept = _one_per_key(early_keys, entity, rejected, examples)
        raw, early_keys = raw[kept], early_keys[kept]
    frame, failures = _fields(raw, entity, state, carried)
    for ref_field, reasons in state.parent_rejects.items():  # rejected with their parent, before any check
        fate = frame[ref_field].map(reasons) if ref_field in frame else pd.Series(dtype="object")
        if bool(fate.notna().any()):
            rejected.update(fate.dropna().value_counts().to_dict())
            frame, raw = frame[fate.isna()], raw[fate.isna()]
            failures = {k: v for k, v in failures.items() if k in frame.index}
    frame["legacy_key"] = early_keys.loc[frame.index] if early_keys is not None else \
        _template(frame, raw, entity.legacy_key, whole=True)  # the gate quarantines a null one
    kept = _one_per_key(frame["legacy_key"], entity, rejected, examples)  # none repeats if they left early
    if not bool(kept.all()):
        frame, raw = frame[kept], raw[kept]
        failures = {k: v for k, v in failures.items() if k in frame.index}
    fields = TARGETS[entity.target].field_names()
    hashed = pd.DataFrame({name: datetime_text(frame[name]) for name in fields})  # text of every kind of value
    frame["row_hash"] = pd.util.hash_pandas_object(hashed, index=False).map("{:016x}".format)
    frame["_line"] = raw["_line"]
    return Batch(frame=frame, raw=raw, quarantined=failures, rejected=rejected, read=read, examples=examples,
                 rejected_keys=pd.concat(keys) if keys else None)


def _carries(column: Column) -> bool:
    """A column whose value carries on from the rows before it (a running total, a sequence)."""
    return column.running_total is not None or column.sequence_within is not None


def _one_per_key(keys: pd.Series, entity: Entity, rejected: Counter[str], examples: dict[str, list[str]]) -> pd.Series:
    """The rows to keep: one per legacy key, the first or the last as the mapping says (across batches staging
    does the same). The others count as `duplicate_key`."""
    repeated = keys.duplicated(keep=entity.dedupe.keep) & keys.notna()
    if bool(repeated.any()):
        rejected["duplicate_key"] += int(repeated.sum())
        examples["duplicate_key"] = keys[repeated].drop_duplicates().head(EXAMPLES).tolist()
    return ~repeated


def _carried_columns(raw: pd.DataFrame, entity: Entity, state: TransformState) -> dict[str, pd.Series]:
    """The carrying columns' values over all of `raw`, for `_fields` when the repeated keys leave first."""
    empty = pd.DataFrame(index=raw.index)
    return {name: _column_values(c, raw, empty, state) for name, c in entity.columns.items() if _carries(c)}


def _early_dedupe(entity: Entity, state: TransformState) -> bool:
    """Whether repeated legacy keys can be dropped before the typed transforms, with the same outcome as after
    them: the key and the carrying columns' groups read source columns only (no field of the entity), and no
    row is rejected with its parent (that happens on typed fields, before the repeats are counted)."""
    fields = set(entity.columns) | set(TARGETS[entity.target].field_names())
    names = set(PLACEHOLDER.findall(entity.legacy_key))
    for column in entity.columns.values():
        names |= set(column.running_total.within if column.running_total else column.sequence_within or [])
    return not names & fields and not any(len(r) for r in state.parent_rejects.values())


def _fields(raw: pd.DataFrame, entity: Entity, state: TransformState,
            carried: dict[str, pd.Series] | None = None) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """The entity's fields for these rows, and per row the reasons it failed. `carried` holds carrying
    columns already computed over these rows and more."""
    target = TARGETS[entity.target]
    frame = pd.DataFrame(index=raw.index)
    failures: dict[int, list[str]] = {}
    for name, column in entity.columns.items():
        if carried is not None and name in carried:
            values = carried[name].loc[raw.index]
        else:
            values = _column_values(column, raw, frame, state)
        related = column.related
        if related is not None:
            values, unmatched, unreadable = state.relations[name].apply(values)
            if related.missing == "quarantine":
                _note(failures, unmatched, f"no_match_{name}")
            _note(failures, unreadable, f"bad_{name}")
        if column.default is not None:  # an empty source value takes the default, then goes through the transforms
            values = values.where(values.notna(), column.default)
        for spec in column.transforms:
            values, bad = apply_transform(values, spec)
            _note(failures, bad, f"bad_{name}")
        if column.default_reference is not None:  # an empty reference names the fallback record
            values = values.where(values.notna(), column.default_reference[_code_field(entity, name)])
        values, bad = finish_kind(values, target.field(name))
        _note(failures, bad, f"bad_{name}")
        frame[name] = values
    for missing in target.fields:
        if missing.name not in frame:
            frame[missing.name] = pd.Series(pd.NA, index=raw.index, dtype="object")
    return frame, failures


def _code_field(entity: Entity, name: str) -> str:
    """The field of the referenced record that a reference names (its `code`, for every target today)."""
    ref = next(r for r in TARGETS[entity.target].refs if r.field == name)
    return ref.by


def _rejected_keys(raw: pd.DataFrame, entity: Entity, state: TransformState, reason: str) -> pd.DataFrame:
    """Legacy keys of rows a reject rule hit. Fields in the key are computed on a scratch state (counters
    such as `sequence_within` start again there: such keys are not meant to be parents)."""
    fields = set(PLACEHOLDER.findall(entity.legacy_key)) & set(entity.columns)
    frame = _fields(raw, entity, TransformState(relations=state.relations))[0] if fields else \
        pd.DataFrame(index=raw.index)
    keys = _template(frame, raw, entity.legacy_key, whole=True).dropna()
    return pd.DataFrame({"legacy_key": keys.to_numpy(dtype=object), "reason": reason})


def _note(failures: dict[int, list[str]], bad: pd.Series | None, reason: str) -> None:
    if bad is not None and bool(bad.any()):
        for label in bad[bad.fillna(False)].index:
            failures.setdefault(int(label), []).append(reason)
