"""Staging tables: each (run, entity) gets an UNLOGGED table in schema migration_staging, filled by COPY.

Staged rows carry their batch, source line, legacy key and content hash; references are resolved to ids
in place, and rows whose references do not resolve leave staging for the quarantine.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.migration.targets import Kind, Target

SQL_TYPES: dict[Kind, str] = {"text": "text", "int": "bigint", "money": "bigint", "datetime": "timestamptz",
                              "date": "date", "bool": "boolean"}
META = ["_row", "_batch", "_line", "legacy_key", "row_hash"]


def staging_table(run_id: uuid.UUID, entity: str) -> str:
    return f'migration_staging."r{run_id.hex[:12]}_{entity}"'


def create_staging(session: Session, run_id: uuid.UUID, entity: str, target: Target) -> str:
    table = staging_table(run_id, entity)
    columns = [f'"{f.name}" {SQL_TYPES[f.kind]}' for f in target.fields]
    columns += [f'"{r.column}" bigint' for r in target.refs]
    session.execute(text(
        f"CREATE UNLOGGED TABLE IF NOT EXISTS {table} (_row bigint NOT NULL, _batch int NOT NULL, _line int, "
        f"legacy_key text NOT NULL, row_hash text NOT NULL, {', '.join(columns)})"
    ))
    session.execute(text(f"CREATE INDEX IF NOT EXISTS \"{table.split('.')[1][1:-1]}_batch\" ON {table} (_batch)"))
    return table


def drop_staging(session: Session, run_id: uuid.UUID, entity: str) -> None:
    session.execute(text(f"DROP TABLE IF EXISTS {staging_table(run_id, entity)}"))


def copy_batch(session: Session, table: str, frame: pd.DataFrame, target: Target, batch_no: int) -> int:
    """COPY the batch's rows into staging; returns how many."""
    if frame.empty:
        return 0
    fields = target.field_names()
    out = frame[fields].copy()
    for f in target.fields:
        if f.kind == "datetime":
            out[f.name] = pd.to_datetime(out[f.name]).map(lambda v: v.isoformat() if pd.notna(v) else None)
    out.insert(0, "row_hash", frame["row_hash"])
    out.insert(0, "legacy_key", frame["legacy_key"])
    out.insert(0, "_line", frame["_line"])
    out.insert(0, "_batch", batch_no)
    out.insert(0, "_row", frame.index.astype("int64"))
    buffer = io.StringIO()
    out.to_csv(buffer, header=False, index=False, na_rep="\\N")
    columns = ", ".join(f'"{c}"' for c in out.columns)
    raw: Any = session.connection().connection.driver_connection
    with raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, NULL '\\N')") as copy:
        copy.write(buffer.getvalue())
    return len(out)


def resolve_references(session: Session, table: str, target: Target) -> list[dict[str, Any]]:
    """Fill the reference id columns; remove and return the rows whose references name nothing."""
    for ref in target.refs:
        if ref.table == target.table:
            continue  # a self-reference (a category's parent) is resolved after loading
        if ref.by == "legacy":
            source = (f"(SELECT legacy_key AS k, target_id AS id FROM legacy_key_map "
                      f"WHERE entity = '{ref.entity}') AS t")
        else:
            source = f'(SELECT "{ref.by}"::text AS k, id FROM "{ref.table}") AS t'
        session.execute(text(f'UPDATE {table} s SET "{ref.column}" = t.id FROM {source} WHERE t.k = s."{ref.field}"'))
    checks = [f'("{r.field}" IS NOT NULL AND "{r.column}" IS NULL)' for r in target.refs if r.table != target.table]
    if not checks:
        return []
    reasons = " ".join(
        f"WHEN \"{r.field}\" IS NOT NULL AND \"{r.column}\" IS NULL THEN 'orphan_{r.field}'"
        for r in target.refs if r.table != target.table
    )
    rows = session.execute(text(
        f"DELETE FROM {table} WHERE {' OR '.join(checks)} "
        f"RETURNING _row, _line, legacy_key, CASE {reasons} END AS reason, to_jsonb({table.split('.')[1]}) AS raw"
    )).mappings().all()
    return [dict(r) for r in rows]


def remove_duplicate_keys(session: Session, table: str, keep: str) -> int:
    """Keep one staged row per legacy key (the first or last in source order); returns how many left."""
    order = "ASC" if keep == "first" else "DESC"
    result = session.execute(text(
        f"DELETE FROM {table} s USING (SELECT _row, row_number() OVER (PARTITION BY legacy_key ORDER BY _row {order}) "
        f"AS n FROM {table}) d WHERE d._row = s._row AND d.n > 1"
    ))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def staged_batches(session: Session, table: str) -> list[int]:
    return [int(b) for b in session.execute(text(f"SELECT DISTINCT _batch FROM {table} ORDER BY 1")).scalars()]
