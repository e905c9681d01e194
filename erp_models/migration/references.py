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

import pandas as pd
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


def rejected_table(run_id: uuid.UUID, entity: str) -> str:
    """Legacy keys that the entity's reject rules set aside in this run, with the rule's reason: its
    children are rejected with them. Small (rejected rows only), UNLOGGED, dropped with the staging."""
    return staging_table(run_id, f"{entity}__rejected")


def create_rejected(session: Session, run_id: uuid.UUID, entity: str) -> None:
    session.execute(text(f"CREATE UNLOGGED TABLE IF NOT EXISTS {rejected_table(run_id, entity)} "
                         f"(legacy_key text NOT NULL, reason text NOT NULL)"))


def record_rejected(session: Session, run_id: uuid.UUID, entity: str, keys: pd.DataFrame | None) -> None:
    if keys is None or keys.empty:
        return
    session.execute(text(f"INSERT INTO {rejected_table(run_id, entity)} (legacy_key, reason) VALUES (:k, :r)"),
                    [{"k": str(k), "r": str(r)} for k, r in zip(keys["legacy_key"], keys["reason"], strict=True)])


def rejected_parents(session: Session, run_id: uuid.UUID, entity: str) -> dict[str, str]:
    """Parent legacy key -> the reason it was rejected in this run (empty when nothing was recorded).

    A key that other rows of the parent staged is not rejected: when one export row per order line feeds the
    orders, a rule that rejects one line's row (a postage line) does not reject the order the others make."""
    table = rejected_table(run_id, entity)
    if session.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar() is None:
        return {}
    staged = staging_table(run_id, entity)
    kept = "" if session.execute(text("SELECT to_regclass(:t)"), {"t": staged}).scalar() is None else \
        f" WHERE NOT EXISTS (SELECT 1 FROM {staged} s WHERE s.legacy_key = r.legacy_key)"
    rows = session.execute(text(f"SELECT legacy_key, min(reason) FROM {table} r{kept} GROUP BY 1")).all()
    return {str(k): str(r) for k, r in rows}


def stage_default_records(session: Session, table: str, target: Target, records: list[dict[str, str]]) -> int:
    """Stage each default reference's record (legacy key `default_reference:<code>`) that no staged row already
    has, after every source row; returns how many. Rerun, it is the same row, so it stays unchanged."""
    added = 0
    for record in records:
        code = record["code"]
        if session.execute(text(f'SELECT 1 FROM {table} WHERE "code" = :c LIMIT 1'), {"c": code}).first():
            continue
        row, batch = session.execute(text(
            f"SELECT coalesce(max(_row), -1) + 1, coalesce(max(_batch), 0) + 1 FROM {table}")).one()
        fields = target.field_names()
        hashed = pd.DataFrame({f: pd.Series([record.get(f)], dtype="string") for f in fields})
        row_hash = pd.util.hash_pandas_object(hashed, index=False).map("{:016x}".format).iloc[0]
        names = [f for f in fields if f in record]
        quoted = ", ".join(f'"{n}"' for n in names)
        session.execute(text(
            f"INSERT INTO {table} (_row, _batch, _line, legacy_key, row_hash, {quoted}) "
            f"VALUES (:_row, :_batch, NULL, :_key, :_hash, {', '.join(f':{n}' for n in names)})"),
            {"_row": row, "_batch": batch, "_key": f"default_reference:{code}", "_hash": row_hash,
             **{n: record[n] for n in names}})
        added += 1
    return added


def count_default_records(session: Session, table: str) -> int:
    return int(session.execute(text(
        f"SELECT count(*) FROM {table} WHERE legacy_key LIKE 'default\\_reference:%'")).scalar() or 0)
