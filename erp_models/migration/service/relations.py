"""Preparing an entity's transform state from other sources: lookup and aggregate maps, read batch by batch
with only the columns they need, and the legacy keys its parents' reject rules set aside in this run.

The maps are built in memory (see `erp_models.migration.transform.relations` for why and what it costs);
reading is here because it is I/O, with the same one-line errors as the entity's own source.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from erp_models.migration import references
from erp_models.migration.mapping import Mapping
from erp_models.migration.relational import other_columns
from erp_models.migration.service.extract import (
    SourceError,
    _parser_problem,
    _undecodable,
    check_csv,
    read_sql_batches,
    source_files,
)
from erp_models.migration.targets import TARGETS
from erp_models.migration.transform import TransformState
from erp_models.migration.transform.relations import KeyMap


def read_columns(mapping: Mapping, source: str, columns: list[str], base: Path,
                 batch_size: int) -> Iterator[pd.DataFrame]:
    """Batches of only `columns` (text, empty cells as null) of a named source or an entity's source."""
    found = mapping.source_of(source)
    if found.sql is not None:
        for batch in read_sql_batches(found.sql, batch_size):
            missing = sorted(set(columns) - set(batch.frame.columns))
            if missing:
                raise SourceError(f"sql source {source!r} column {missing[0]!r}: missing from the query's result")
            yield batch.frame[columns]
        return
    csv = found.csv
    assert csv is not None
    for path in source_files(csv, base):
        names = check_csv(path, csv, set(columns))
        try:
            reader = pd.read_csv(path, encoding=csv.encoding, sep=csv.delimiter, dtype=str, chunksize=batch_size,
                                 header=0 if csv.header else None, names=names if csv.columns else None,
                                 usecols=columns, keep_default_na=False, na_filter=False, index_col=False)
            for chunk in reader:
                yield chunk.replace({"": None})
        except UnicodeDecodeError:
            raise _undecodable(path, csv.encoding) from None
        except pd.errors.ParserError as exc:
            raise SourceError(f"{path}: {_parser_problem(exc)}") from None


def build_maps(mapping: Mapping, name: str, base: Path) -> dict[str, KeyMap]:
    """Field -> its lookup or aggregate map; each other source is read once for all the entity's maps."""
    entity = mapping.entities[name]
    maps = {field: KeyMap(c.related) for field, c in entity.columns.items() if c.related is not None}
    by_source: dict[str, list[str]] = {}
    for field, key_map in maps.items():
        by_source.setdefault(key_map.related.source, []).append(field)
    for source, fields in by_source.items():
        columns = list(dict.fromkeys(c for f in fields for c in other_columns(maps[f].related)))
        for frame in read_columns(mapping, source, columns, base, mapping.batch_size):
            for field in fields:
                maps[field].add(frame)
    return maps


def is_parent(mapping: Mapping, name: str) -> bool:
    """Whether the entity rejects rows and another entity names it by legacy key (so its rejects matter)."""
    if not mapping.entities[name].reject:
        return False
    return any(ref.by == "legacy" and ref.entity == name and ref.field in other.columns
               for other in mapping.entities.values() for ref in TARGETS[other.target].refs)


def fated_parents(mapping: Mapping, name: str) -> dict[str, str]:
    """Ref field -> the parent entity whose rejects the entity's rows share: staging the entity waits for staging
    those parents (every other entity stages independently of the others)."""
    return {ref.field: ref.entity for ref in TARGETS[mapping.entities[name].target].refs
            if ref.by == "legacy" and ref.entity is not None and ref.field in mapping.entities[name].columns
            and ref.entity in mapping.entities and is_parent(mapping, ref.entity)}


def parent_fates(session: Session, mapping: Mapping, name: str, run_id: uuid.UUID) -> dict[str, pd.Series]:
    """Ref field -> reason by parent legacy key, for parents rejected in this run."""
    fates: dict[str, pd.Series] = {}
    for field, parent in fated_parents(mapping, name).items():
        reasons = references.rejected_parents(session, run_id, parent)
        if reasons:
            fates[field] = pd.Series(reasons, dtype="object")
    return fates


def prepare_state(session: Session, mapping: Mapping, name: str, run_id: uuid.UUID, base: Path) -> TransformState:
    """The transform state an entity starts from: its maps, its parents' rejected keys, and whether to record
    its own (creating the table that keeps them)."""
    record = is_parent(mapping, name)
    if record:
        references.create_rejected(session, run_id, name)
    return TransformState(relations=build_maps(mapping, name, base),
                          parent_rejects=parent_fates(session, mapping, name, run_id), record_rejected=record)


def reading_groups(mapping: Mapping, order: list[str]) -> list[list[str]]:
    """`order` cut into runs of entities staged from one reading of their source: neighbours in the run's order that
    read the same CSV files (as declared: path, encoding, delimiter, header, columns), none of which shares
    another's rejects (it would need that entity's batches staged before its own). Every other entity is a group of
    its own."""
    groups: list[list[str]] = []
    for name in order:
        source = mapping.entities[name].source.csv
        last = groups[-1] if groups else []
        if (source is not None and last and mapping.entities[last[0]].source.csv == source
                and not set(fated_parents(mapping, name).values()) & set(last)):
            last.append(name)
        else:
            groups.append([name])
    return groups
