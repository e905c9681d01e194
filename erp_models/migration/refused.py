"""Why the ERP refused a staged batch: the first staged value that does not fit its ERP column, as one line.

The gate checks lengths, ranges and required values before staging, so this only happens when a mapping
disabled such an expectation or made it warn; then PostgreSQL's own error names no row, and this finds it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import BigInteger, Integer, SmallInteger, String, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from erp_models.base import Base
from erp_models.migration.loader import written_columns
from erp_models.migration.staging import StagingError
from erp_models.migration.targets import Target

INPUT_ERRORS = ("22", "23502", "23514")  # data exceptions, NOT NULL and CHECK violations


def caused_by_input(exc: DBAPIError) -> bool:
    return str(getattr(exc.orig, "sqlstate", "") or "").startswith(INPUT_ERRORS)


def explain(session: Session, exc: DBAPIError, *, table: str, target: Target, entity: str, batch_no: int,
            mapped: Collection[str]) -> StagingError:
    """The one-line error for a batch the ERP table refused; call it after rolling back to before the batch."""
    erp = Base.metadata.tables[target.table]
    for column in written_columns(target, mapped):
        kind = erp.columns[column.erp].type
        staged = f's."{column.staged}"'
        if isinstance(kind, String) and kind.length:
            test, problem = f"length({staged}) > {kind.length}", f"longer than {kind.length} characters"
        elif isinstance(kind, Integer) and not isinstance(kind, BigInteger):
            limit = 32767 if isinstance(kind, SmallInteger) else 2147483647
            test, problem = f"abs({staged}) > {limit}", f"outside ±{limit}"
        elif not erp.columns[column.erp].nullable and column.default is None:
            test, problem = f"{staged} IS NULL", "empty, and the ERP requires a value"
        else:
            continue
        found = session.execute(text(f"SELECT _line, {staged}::text FROM {table} s WHERE _batch = :b AND {test} "
                                     "ORDER BY _row LIMIT 1"), {"b": batch_no}).first()
        if found is not None:
            value = "" if found[1] is None else f" {found[1][:40]!r}"
            return StagingError(f"{entity} row {found[0]} column {column.staged!r}: value{value} is {problem} "
                                f"(ERP column {target.table}.{column.erp}); its gate expectation is off or only warns")
    reason = str(getattr(getattr(exc.orig, "diag", None), "message_primary", None) or exc.orig).splitlines()[0]
    return StagingError(f"{entity} batch {batch_no}: the ERP refused a staged row ({reason}); "
                        "its gate expectation is off or only warns")
