"""A delta's first look at an entity's CSV files: which leading batches need not be parsed at all, and which
skipped rows still carry counts on.

It reads only the watermark column and the columns that group the entity's counters and running totals
(`sequence_within`, `running_total.within`), a fraction of what parsing every column costs. From that:

- the groups (keys) of the rows past the watermark. A counter or running total goes on from the earlier rows
  of its own group only, so the skipped rows of other groups need not go through the counting transform;
- per file, the leading batches whose rows are all at or below the watermark and of no such group. The main
  pass does not parse them (it counts them as skipped and starts reading at the byte after them), when
  their lines are plain: one row per line, no quotes, no blank lines, no lone carriage returns.

Anything unusual (a SQL source, a group by a mapped field rather than a source column, a file the first look
cannot read) gives no scan, and the delta parses and counts every row as before; the main pass then
reports a file's defect exactly as a load does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from erp_models.migration import watermark
from erp_models.migration.mapping import Entity
from erp_models.migration.service.extract import SourceError, Unread, check_csv, source_columns, source_files
from erp_models.migration.service.plain_lines import offset_after_lines
from erp_models.migration.transform import group_keys


@dataclass(frozen=True)
class CarriedGroups:
    """Per counter or running total: its `within` columns and the keys of the rows past the watermark."""

    groups: list[tuple[list[str], pd.Index]]

    def carries(self, rows: pd.DataFrame) -> np.ndarray:
        """Which of these skipped rows belong to a group that a row past the watermark belongs to."""
        hit = np.zeros(len(rows), dtype=bool)
        for within, keys in self.groups:
            hit |= keys.get_indexer(group_keys(rows, within).to_numpy(dtype=object)) != -1
        return hit

    def any_of(self, keys: list[np.ndarray]) -> bool:
        return any(bool((index.get_indexer(values) != -1).any())
                   for (_, index), values in zip(self.groups, keys, strict=True))


@dataclass
class DeltaScan:
    carried: CarriedGroups | None = None  # None: every skipped row carries counts on (or none has any)
    unread: dict[str, Unread] = field(default_factory=dict)  # file -> its leading batches left unparsed


def _withins(entity: Entity) -> list[list[str]]:
    return [c.sequence_within or (c.running_total.within if c.running_total else [])
            for c in entity.columns.values() if c.sequence_within or c.running_total]


def scan(entity: Entity, base: Path, batch_size: int, since: Any) -> DeltaScan | None:
    """The first look at the entity's CSV files for a delta from `since`; None to parse and count everything."""
    source, withins = entity.source.csv, _withins(entity)
    if since is None or source is None or not entity.watermark_column:
        return None
    if any(name in entity.columns for within in withins for name in within):
        return None  # grouped by a mapped field: its value is known only after the transform
    mark = str(entity.watermark_column)
    wanted = list(dict.fromkeys([mark, *[name for within in withins for name in within]]))
    found: list[list[str]] = [[] for _ in withins]
    leading: dict[Path, list[tuple[int, list[np.ndarray]]]] = {}  # file -> rows and keys of its all-old batches
    try:
        for path in source_files(source, base):
            check_csv(path, source, source_columns(entity))
            batches = leading.setdefault(path, [])
            still = True
            for chunk in pd.read_csv(path, encoding=source.encoding, sep=source.delimiter, dtype=str,
                                     chunksize=batch_size, header=0 if source.header else None, names=source.columns,
                                     usecols=wanted, keep_default_na=False, na_filter=False, engine="c",
                                     index_col=False):
                old = (watermark.parse(chunk[mark], entity) <= since).fillna(False).astype(bool).to_numpy()
                keys = [group_keys(chunk, within).to_numpy(dtype=object) for within in withins]
                for collected, values in zip(found, keys, strict=True):
                    collected.extend(pd.unique(values[~old]).tolist())
                still = still and bool(old.all())
                if still:
                    batches.append((len(chunk), [pd.unique(values) for values in keys]))
    except (SourceError, ValueError, UnicodeDecodeError):
        return None  # the main pass reads the file and says what is wrong with it
    carried = CarriedGroups([(within, pd.Index(pd.unique(np.asarray(keys, dtype=object))))
                             for within, keys in zip(withins, found, strict=True)]) if withins else None
    result = DeltaScan(carried=carried)
    for path, batches in leading.items():
        rows = [n for n, _ in _until_carrying(batches, carried)]
        offset = offset_after_lines(path, int(source.header) + sum(rows)) if rows else None
        if offset is not None:
            result.unread[str(path)] = Unread(rows, offset)
    return result


def _until_carrying(batches: list[tuple[int, list[np.ndarray]]],
                    carried: CarriedGroups | None) -> list[tuple[int, list[np.ndarray]]]:
    for n, (_, keys) in enumerate(batches):
        if carried is not None and carried.any_of(keys):
            return batches[:n]
    return batches
