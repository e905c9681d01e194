"""Checking a staged entity before anything loads: one row per legacy key, and no reference that names nothing.

A reference is checked against what will exist once the run loads: the ERP table (rows there before), the
staging tables of the entities staged before it in this run (rows that survived their gates and checks),
and, for legacy-key references, the legacy-key map of earlier runs. So the quarantine rate, orphans
included, is known before the first entity loads.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.migration.staging import staging_table
from erp_models.migration.targets import Ref, Target


@dataclass(frozen=True)
class KeySource:
    """A place where a reference's value may be found: a column of a table, under a condition."""

    relation: str
    column: str
    where: str = "true"

    def select(self) -> str:
        return f"SELECT {self.column}::text AS k FROM {self.relation} WHERE {self.where}"


def _field_of(target: Target, erp_column: str) -> str:
    """The staging column that holds an ERP column's value (a field's name can differ from its column)."""
    return next((f.name for f in target.fields if f.target_column == erp_column), erp_column)


def key_sources(run_id: uuid.UUID, name: str, target: Target,
                staged: Mapping[str, Target]) -> dict[str, list[KeySource]]:
    """Per reference field of `target`, where its values may be found; `staged`: entities staged before it."""
    sources: dict[str, list[KeySource]] = {}
    for ref in target.refs:
        if ref.by == "legacy":
            found = [KeySource("legacy_key_map", "legacy_key", f"entity = '{ref.entity}'")]
            if ref.entity is not None and ref.entity in staged:
                found.append(KeySource(staging_table(run_id, ref.entity), "legacy_key"))
        else:
            found = [KeySource(f'"{ref.table}"', f'"{ref.by}"')]
            others = dict(staged) | ({name: target} if ref.table == target.table else {})
            found += [KeySource(staging_table(run_id, other), f'"{_field_of(t, ref.by)}"')
                      for other, t in others.items() if t.table == ref.table]
        sources[ref.field] = found
    return sources


@dataclass(frozen=True)
class Repeats:
    """Rows dropped because an earlier (or later, with keep: last) row has their legacy key."""

    rows: int
    keys: list[str]  # some of those keys (at most KEYS_NAMED), for the quarantine's detail


KEYS_NAMED = 11


def check_staged(session: Session, table: str, target: Target, keep: str,
                 sources: Mapping[str, list[KeySource]]) -> tuple[Repeats, list[dict[str, Any]]]:
    """Drop repeated legacy keys (keeping the first or last), take out the orphans, ref by ref, and then the
    rows whose natural key an earlier row has under another legacy key.

    Returns (the repeated keys dropped, set aside: _row, _line, legacy_key, reason, raw)."""
    # The sorts and hashes below fit in memory; JIT would spend more compiling than these scans save.
    session.execute(text("SET LOCAL work_mem = '128MB'"))
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text(f"ANALYZE {table}"))
    order = "ASC" if keep == "first" else "DESC"
    # Deterministic collations compare equal exactly when the bytes are equal, so "C" finds the same repeats
    # as the default collation, and sorts far faster.
    repeated, repeated_keys = session.execute(text(
        f'WITH gone AS (DELETE FROM {table} WHERE _row IN (SELECT _row FROM (SELECT _row, row_number() OVER '
        f'(PARTITION BY legacy_key COLLATE "C" ORDER BY _row {order}) AS n FROM {table}) d WHERE n > 1) '
        f'RETURNING legacy_key) SELECT count(*), (array_agg(DISTINCT legacy_key))[1:{KEYS_NAMED}] FROM gone')).one()
    orphans: list[dict[str, Any]] = []
    for ref in target.refs:
        orphans += _remove_orphans(session, table, ref, sources.get(ref.field, []),
                                   repeat=ref.table == target.table)
    return Repeats(int(repeated), list(repeated_keys or [])), orphans + _remove_natural_key_repeats(session, table,
                                                                                                 target)


def _remove_natural_key_repeats(session: Session, table: str, target: Target) -> list[dict[str, Any]]:
    """Delete and return rows whose natural key an earlier row (in source order) has under another legacy key:
    both would be one ERP row. A reference in the key is compared by what names it (code or legacy key)."""
    by_column = {r.column: r.field for r in target.refs}
    keys = [f's."{by_column.get(k) or _field_of(target, k)}"' for k in target.natural_key]
    if not keys:
        return []
    rows = session.execute(text(f"""
        DELETE FROM {table} s WHERE s._row IN (
            SELECT _row FROM (SELECT s._row, row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY s._row) AS n
                              FROM {table} s WHERE {' AND '.join(f'{k} IS NOT NULL' for k in keys)}) d WHERE n > 1)
        RETURNING s._row, s._line, s.legacy_key, 'duplicate_natural_key' AS reason, to_jsonb(s) AS raw""")).mappings()
    return [dict(r) for r in rows]


def _remove_orphans(session: Session, table: str, ref: Ref, sources: list[KeySource],
                    repeat: bool) -> list[dict[str, Any]]:
    """Delete and return the rows whose non-empty `ref.field` is found in none of `sources`.

    A self-reference runs until nothing changes: a category whose parent was just set aside is an orphan too."""
    known = " UNION ALL ".join(s.select() for s in sources) or "SELECT NULL::text AS k WHERE false"
    statement = text(
        f'DELETE FROM {table} s WHERE s."{ref.field}" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({known}) u '
        f'WHERE u.k = s."{ref.field}") RETURNING s._row, s._line, s.legacy_key, '
        f"'orphan_{ref.field}' AS reason, to_jsonb(s) AS raw")
    found: list[dict[str, Any]] = []
    while True:
        rows = [dict(r) for r in session.execute(statement).mappings().all()]
        found += rows
        if not rows or not repeat:
            return found
