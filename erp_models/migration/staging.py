"""Staging tables: each (run, entity) gets an UNLOGGED table in schema migration_staging, filled by COPY.

Staged rows carry their batch, source line, legacy key and content hash. Once staged, repeated keys and
orphans leave the table (`references.check_staged`); before loading, it is rewritten once with references
resolved to ids.
"""

from __future__ import annotations

import io
import re
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

import pandas as pd
import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput
from erp_models.migration.targets import Kind, Target
from erp_models.migration.transform import datetime_text

SQL_TYPES: dict[Kind, str] = {"text": "text", "int": "bigint", "money": "bigint", "datetime": "timestamptz",
                              "date": "date", "bool": "boolean"}
META = ["_row", "_batch", "_line", "legacy_key", "row_hash"]


def staging_table(run_id: uuid.UUID, entity: str) -> str:
    return f'migration_staging."r{run_id.hex[:12]}_{entity}"'


def staged_entity(table: str) -> str:
    """The entity whose staging table `table` is (the inverse of `staging_table`)."""
    return table.split(".")[1][1:-1].split("_", 1)[1]


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
    session.execute(text(f"DROP TABLE IF EXISTS {staging_table(run_id, entity + '__rejected')}"))  # its rejected keys


class StagingError(InvalidInput):
    """A value PostgreSQL refuses to stage (a NUL byte, a number out of range); one line naming the cell."""


def copy_batch(session: Session, table: str, frame: pd.DataFrame, target: Target, batch_no: int, *,
               source: str = "source") -> int:
    """COPY the batch's rows into staging; returns how many. `source` (the file) names a refused value."""
    if frame.empty:
        return 0
    fields = target.field_names()
    out = frame[fields].copy()
    for f in target.fields:
        if f.kind == "datetime":
            out[f.name] = datetime_text(pd.to_datetime(out[f.name]))
    out.insert(0, "row_hash", frame["row_hash"])
    out.insert(0, "legacy_key", frame["legacy_key"])
    out.insert(0, "_line", frame["_line"])
    out.insert(0, "_batch", batch_no)
    out.insert(0, "_row", frame.index.astype("int64"))
    buffer, null = io.StringIO(), _null_marker(out)
    out.to_csv(buffer, header=False, index=False, na_rep=null)
    columns = ", ".join(f'"{c}"' for c in out.columns)
    raw: Any = session.connection().connection.driver_connection
    try:
        with raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, NULL '{null}')") as copy:
            copy.write(buffer.getvalue())
    except UnicodeEncodeError:  # a lone surrogate: no encoding the server speaks can carry it
        raise _refused(out, source, None, _SURROGATE, "is not valid Unicode (a lone surrogate)") from None
    except psycopg.DataError as exc:
        raise _refused(out, source, exc.diag.context, _NUL, _problem(exc)) from None
    return len(out)


def _null_marker(frame: pd.DataFrame) -> str:
    """COPY's NULL marker for this batch: `\\N`, unless a cell holds exactly that text (a CSV writer leaves it
    unquoted, so COPY would read it as NULL); then a longer marker that no cell of the batch holds."""
    marker, texts = "\\N", [frame[c] for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    while any((column == marker).any() for column in texts):
        marker = f"\\N{secrets.token_hex(4)}"
    return marker


_NUL = re.compile("\x00")
_SURROGATE = re.compile("[\ud800-\udfff]")
_COPY_CONTEXT = re.compile(r"line (\d+)(?:, column (\w+))?")


def _problem(exc: psycopg.DataError) -> str:
    message = str(exc.diag.message_primary or exc).strip().splitlines()[0]
    if "0x00" in message:
        return "contains a NUL byte (0x00), which PostgreSQL cannot store; remove it from the export"
    return message


def _refused(out: pd.DataFrame, source: str, context: str | None, culprit: re.Pattern[str],
             problem: str) -> StagingError:
    """The one-line error for a refused COPY: the source row and column from PostgreSQL's context, or else
    the first cell holding the culprit character."""
    found = _COPY_CONTEXT.search(context or "")
    position = int(found.group(1)) - 1 if found else -1
    column = found.group(2) if found else None
    known = 0 <= position < len(out)
    rows = out.iloc[[position]] if known else out
    if column is None:
        for name in [c for c in out.columns if c not in META] + ["legacy_key"]:  # the source's values first
            hit = rows[name].astype("string").str.contains(culprit, na=False).to_numpy()
            if hit.any():
                rows, column, known = rows[hit], str(name), True
                break
    where = f"{source} row {int(rows['_line'].iloc[0])}" if known else source
    return StagingError(f"{where}{f' column {column!r}' if column else ''}: {problem}")


def prepare(session: Session, table: str, target: Target) -> list[dict[str, Any]]:
    """Resolve references to ids once per entity, when its predecessors are loaded; returns orphans.

    Repeated keys and orphans were taken out when the entity was staged (`references.check_staged`), so
    orphans here are rows whose reference vanished since (deleted from the ERP meanwhile). The table is
    rewritten once with the ids filled in: an UPDATE per reference would write every row again for each.
    """
    # The hashes below fit in memory; JIT would spend more compiling than these scans save.
    session.execute(text("SET LOCAL work_mem = '128MB'"))
    session.execute(text("SET LOCAL jit = off"))
    columns = [f"s.{c}" for c in META] + [f's."{f.name}"' for f in target.fields]
    joins = []
    for n, ref in enumerate(target.refs):
        if ref.table == target.table:
            columns.append(f's."{ref.column}"')  # a self-reference (a category's parent) is resolved after loading
        elif ref.by == "legacy":
            columns.append(f'r{n}.target_id AS "{ref.column}"')
            joins.append(f"LEFT JOIN legacy_key_map r{n} ON r{n}.entity = '{ref.entity}' "
                         f'AND r{n}.legacy_key = s."{ref.field}"')
        else:
            columns.append(f'r{n}.id AS "{ref.column}"')
            joins.append(f'LEFT JOIN "{ref.table}" r{n} ON r{n}."{ref.by}"::text = s."{ref.field}"')
    rewrite(session, table, f"SELECT {', '.join(columns)} FROM {table} s {' '.join(joins)}")
    orphans = _remove_orphans(session, table, target)
    if target.posts_to_ledger:
        from erp_models.migration.opening_stock import set_aside_impossible  # it builds on the loader

        orphans += set_aside_impossible(session, table=table, entity=staged_entity(table))
    session.execute(text(f"ANALYZE {table}"))
    return orphans


def rewrite(session: Session, table: str, select: str, params: dict[str, Any] | None = None) -> None:
    """Replace a staging table by the rows of `select` (which reads it as `s`), indexed by batch again.

    One pass that writes every row once: an UPDATE would leave a dead version of each row behind."""
    schema, name = table.split(".")
    bare = name[1:-1]
    session.execute(text(f'CREATE UNLOGGED TABLE {schema}."{bare}_next" AS {select}'), params or {})
    session.execute(text(f"DROP TABLE {table}"))
    session.execute(text(f'ALTER TABLE {schema}."{bare}_next" RENAME TO "{bare}"'))
    session.execute(text(f'CREATE INDEX "{bare}_batch" ON {table} (_batch)'))


def _remove_orphans(session: Session, table: str, target: Target) -> list[dict[str, Any]]:
    """Remove and return the rows whose references name nothing."""
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


def staged_batches(session: Session, table: str) -> list[int]:
    return [int(b) for b in session.execute(text(f"SELECT DISTINCT _batch FROM {table} ORDER BY 1")).scalars()]


def emptied(session: Session, table: str, expected: int) -> bool:
    """Staging that holds other than ``expected`` rows (UNLOGGED tables come back empty after a server crash)
    is emptied, to be staged again from scratch."""
    if int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) == expected:
        return False
    session.execute(text(f"TRUNCATE {table}"))
    return True


def still_staged(session: Session, table: str, rows: Sequence[int]) -> set[int]:
    """Which of these staging rows (`_row`) are still in staging."""
    # A hash join: `_row = ANY(:rows)` compares every staged row with every candidate.
    return set(session.execute(text(f"SELECT s._row FROM {table} s JOIN unnest(CAST(:rows AS bigint[])) "
                                    "AS c(r) ON c.r = s._row"), {"rows": list(rows)}).scalars())
