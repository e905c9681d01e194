"""Order-independent content fingerprints of the ERP tables, to prove two databases hold the same data."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from erp_models.base import Base


@dataclass(frozen=True)
class TableFingerprint:
    """Row count and content hash of one table."""

    table: str
    rows: int
    digest: str


def content_tables() -> list[Table]:
    """ERP business tables, leaving out bookkeeping (migration runs, audit log, outbox, tokens)."""
    return [t for t in Base.metadata.sorted_tables if t.info.get("erp_content", True)]


def fingerprint_columns(table: Table) -> list[str]:
    """Columns that carry content: surrogate keys and volatile timestamps are left out."""
    return [c.name for c in table.columns if c.info.get("fingerprint", True)]


def table_fingerprint(session: Session, table: Table) -> TableFingerprint:
    """Sum of per-row hashes: independent of row order, yet sensitive to every changed or duplicated row."""
    cols = ", ".join(f't."{name}"' for name in fingerprint_columns(table))
    row_hash = f"('x' || left(md5(ROW({cols})::text), 15))::bit(60)::bigint"
    sql = f'SELECT count(*), coalesce(sum({row_hash}), 0)::text FROM "{table.name}" AS t'
    rows, total = session.execute(text(sql)).one()
    digest = hashlib.sha256(f"{table.name}:{rows}:{total}".encode()).hexdigest()[:16]
    return TableFingerprint(table.name, int(rows), digest)


def database_fingerprint(session: Session) -> tuple[list[TableFingerprint], str]:
    """Every content table's fingerprint, and one digest over them all."""
    tables = sorted((table_fingerprint(session, t) for t in content_tables()), key=lambda f: f.table)
    overall = hashlib.sha256("|".join(f"{f.table}:{f.rows}:{f.digest}" for f in tables).encode())
    return tables, overall.hexdigest()[:16]
