"""Delta runs: rows at or below the watermark leave right after they are read, and a run's watermark is the
highest value among the rows it loaded.

Skipped rows are counted once, as `skipped`: they are not transformed, gated, hashed for exact duplicates or
counted as rejected or quarantined. Exact duplicates are identical in the watermark column too, so a row
past the watermark never duplicates a skipped one. Counters and running totals (`sequence_within`,
`running_total`) do depend on earlier rows: for an entity that has them, the skipped rows of the groups that
rows past the watermark belong to (`delta_scan`) still go through the transform of those columns alone
(after the duplicate and reject rules, as in a load), in source order, only to carry the counts on; what
they yield is thrown away.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from erp_models.migration import staging, watermark
from erp_models.migration.mapping import Entity
from erp_models.migration.service.delta_scan import CarriedGroups
from erp_models.migration.service.extract import RawBatch, SourceError
from erp_models.migration.transform import Batch, TransformState, transform_batch

KEEP = 10_000  # candidates kept for the run's watermark: the highest values staged


def since_value(mark: str | None, entity: Entity) -> Any:
    """The parsed watermark a delta starts from; None to read every row."""
    if mark is None or not entity.watermark_column:
        return None
    value = watermark.parse(pd.Series([mark], dtype="string"), entity).iloc[0]
    return None if pd.isna(value) else value


def _marks(raw: RawBatch, entity: Entity) -> tuple[pd.Series, pd.Series]:
    """The batch's watermarks as read and as comparable values (null where empty or unreadable)."""
    column = str(entity.watermark_column)
    values = raw.frame[column]
    parsed = watermark.parse(values, entity)
    if not bool(parsed.notna().any()):
        given = values.astype("string").str.strip()
        given = given[given.notna() & (given != "")]
        if not given.empty and not watermark.typed(entity):
            raise SourceError(f"{raw.file} row {int(raw.frame.loc[given.index[0], '_line'])} column {column!r}: "
                              f"watermark {given.iloc[0]!r} is not a date and time; say how to compare it, e.g. "
                              f"watermark: {{from: {column}, transforms: [int]}}")
    return values, parsed


def _counting(entity: Entity) -> Entity | None:
    """The entity reduced to what carries counts on across rows (its counters and running totals, the fields
    they group by, its duplicate and reject rules); None when it has no counts to carry."""
    counts = {n: c for n, c in entity.columns.items() if c.sequence_within or c.running_total}
    if not counts:
        return None
    within = {k for c in counts.values()
              for k in c.sequence_within or (c.running_total.within if c.running_total else [])}
    columns = {n: c for n, c in entity.columns.items() if n in counts or n in within}
    return entity.model_copy(update={"columns": columns, "legacy_key": "-"})


def _segments(old: pd.Series) -> list[tuple[int, int, bool]]:
    """Runs of consecutive rows that are all old or all new: (start, stop, old)."""
    flags = old.to_numpy(dtype=bool)
    cuts = [0, *(np.flatnonzero(flags[1:] != flags[:-1]) + 1).tolist(), len(flags)]
    return [(a, b, bool(flags[a])) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _merge(parts: list[Batch]) -> Batch:
    if len(parts) == 1:
        return parts[0]
    rejected = parts[0].rejected.copy()
    quarantined: dict[int, list[str]] = {}
    for part in parts[1:]:
        rejected.update(part.rejected)
    for part in parts:
        quarantined.update(part.quarantined)
    return Batch(frame=pd.concat([p.frame for p in parts]), raw=pd.concat([p.raw for p in parts]),
                 quarantined=quarantined, rejected=rejected, read=sum(p.read for p in parts))


def transform_past(raw: RawBatch, entity: Entity, state: TransformState, since: Any,
                   carried: CarriedGroups | None = None) -> tuple[Batch, int, pd.DataFrame]:
    """Transform the rows of a batch past `since` (all rows when it is None). `carried`: the groups whose
    skipped rows carry counts on (see `delta_scan`; None: every skipped row does). A batch left unread
    (`raw.unread`) is all skipped.

    Returns the batch, the rows skipped, and the watermark (`mark`, parsed, and `text`) of each transformed
    row that has one, by the row's label in the batch."""
    if raw.unread and _counting(entity) is not None:  # numbered as if they had gone through the counting
        state.next_row += raw.unread
    if not entity.watermark_column or raw.frame.empty:
        return transform_batch(raw.frame, entity, state), raw.unread, pd.DataFrame(columns=["mark", "text"])
    values, parsed = _marks(raw, entity)
    old = pd.Series(False, index=raw.frame.index)
    if since is not None:
        old = (parsed <= since).fillna(False).astype(bool)  # a row without a (readable) watermark is loaded
    marks = pd.DataFrame({"mark": parsed, "text": values})
    counting = _counting(entity) if bool(old.any()) else None
    if counting is not None:
        pieces = [(raw.frame.iloc[start:stop], is_old) for start, stop, is_old in _segments(old)]
    else:
        pieces = [(raw.frame[~old], False)]
    parts: list[Batch] = []
    labelled: list[pd.DataFrame] = []
    for rows, is_old in pieces:
        first = state.next_row
        if is_old and counting is not None:
            carrying = rows if carried is None else rows[carried.carries(rows)]
            if len(carrying):
                transform_batch(carrying, counting, state)  # only for the counts it carries on
            state.next_row = first + len(rows)  # the rows after them are numbered as if all had gone through
            continue
        batch = transform_batch(rows, entity, state)
        parts.append(batch)
        labelled.append(marks.loc[rows.index].set_axis(range(first, first + len(rows))))
    if not parts:
        parts.append(transform_batch(raw.frame.iloc[0:0], entity, state))
    batch = _merge(parts)
    found = pd.concat(labelled) if labelled else marks.iloc[0:0]
    found = found[found.index.isin(batch.frame.index) & found["mark"].notna()]
    return batch, int(old.sum()), found


class LoadedMark:
    """The highest watermarks among the rows staged so far (at most KEEP of them), to find, once the staged
    entity is checked, the highest that is still in staging: the one its rows load up to."""

    def __init__(self) -> None:
        self.top: pd.DataFrame | None = None

    def offer(self, marks: pd.DataFrame) -> None:
        if marks.empty:
            return
        both = marks if self.top is None else pd.concat([self.top, marks])
        self.top = both.sort_values("mark", ascending=False, kind="stable").head(KEEP)

    def highest_staged(self, session: Session, table: str) -> str | None:
        """The text of the highest watermark among the rows left in staging. None when none of the candidates
        is (then the next delta reads from the mark before this run: again, not less)."""
        if self.top is None:
            return None
        labels = [int(label) for label in self.top.index]
        staged = staging.still_staged(session, table, labels)
        return next((str(t).strip() for label, t in zip(labels, self.top["text"], strict=True) if label in staged),
                    None)
