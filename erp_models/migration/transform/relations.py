"""Key maps for lookups and aggregates: built batch by batch from another source, then applied to a batch.

Memory: a map holds one value per distinct key of the other source (the reduced result, never its rows);
each batch of the other source is reduced (first value, or sum / count / min / max per key) before it is
merged, and the reader passes only the columns the map needs. So a map costs about what a Python string
key and one number cost per key (≈ 100 bytes), however many rows or columns the other file has. Staging the
other file into PostgreSQL and joining there would bound memory further, but every batch of this entity
would then need a round trip and the join would have to be redone in the same transform; the maps stay
pure pandas, testable without a database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from erp_models.migration.relational import Aggregate, Lookup
from erp_models.migration.transform.values import as_text, to_minor_units


def _keys(values: pd.Series) -> pd.Series:
    text = as_text(values).str.strip()
    return text.mask(text == "")


class KeyMap:
    """One value per key of another source, for a lookup or an aggregate."""

    def __init__(self, related: Lookup | Aggregate) -> None:
        self.related = related
        self._values = pd.Series(dtype="object")  # key -> first value (lookup) or minor units / count
        self._bad: set[str] = set()  # keys with a value that does not read as a number

    def __len__(self) -> int:
        return len(self._values)

    def add(self, frame: pd.DataFrame) -> None:
        """Merge one batch of the other source (text columns)."""
        keys = _keys(frame[self.related.match_column])
        present = keys.notna()
        if isinstance(self.related, Lookup):
            batch = pd.Series(frame[self.related.column][present].to_numpy(), index=keys[present].to_numpy())
            batch = batch[~batch.index.duplicated(keep="first")]
            self._values = pd.concat([self._values, batch[~batch.index.isin(self._values.index)]])
            return
        agg = self.related
        keys = keys[present]
        if agg.count:
            reduced = keys.value_counts()
            self._values = self._values.add(reduced, fill_value=0).astype("int64")
            return
        amounts = pd.Series(0, index=keys.index, dtype="Int64")
        bad = pd.Series(False, index=keys.index)
        for column in agg.columns:
            minor, unreadable = to_minor_units(frame.loc[keys.index, column], scale=agg.scale)
            amounts = amounts + minor.fillna(0) if agg.sum else minor
            bad |= unreadable
        self._bad |= set(keys[bad].tolist())
        grouped = pd.Series(amounts.to_numpy(dtype="float64", na_value=np.nan), index=keys.to_numpy())
        if agg.sum:
            self._values = self._values.add(grouped.groupby(level=0).sum(), fill_value=0)
            return
        combined = pd.concat([self._values, grouped.dropna()]).groupby(level=0)
        self._values = combined.min() if agg.min else combined.max()

    def apply(self, keys: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
        """Per row: the value as text (null when unmatched), whether it had no match, whether it was unreadable."""
        keys = _keys(keys)
        unmatched = ~keys.isin(self._values.index) | keys.isna()
        found = keys.map(self._values)
        bad = keys.isin(self._bad) if self._bad else pd.Series(False, index=keys.index)
        if isinstance(self.related, Lookup):
            return as_text(found), unmatched, bad
        if self.related.count:
            return as_text(found.fillna(0).astype("int64")), pd.Series(False, index=keys.index), bad
        return _decimal_text(found, self.related.scale).mask(bad), unmatched, bad


def _decimal_text(minor: pd.Series, scale: int) -> pd.Series:
    """Integer minor units as exact decimal text: 12990 at scale 2 -> '129.90'."""
    numbers = minor.astype("Float64").round().astype("Int64")
    whole = (numbers.abs() // 10**scale).astype("string")
    text = numbers.lt(0).map({True: "-", False: ""}).astype("string") + whole
    if scale:
        text = text + "." + (numbers.abs() % 10**scale).astype("string").str.zfill(scale)
    return text.where(numbers.notna())
