"""Schema upgrades as data: whether a database holds business data (then `db upgrade` goes through the flow), a
fingerprint that works at any revision, and the upgrade's outcome with the evidence it leaves.

The content fingerprint (erp_models.fingerprint) reads the columns the code's models name, which an older schema
may not have; a rollback is proven instead by `schema_fingerprint`: every table of the schema, every column, the
Alembic revision included, so "equal to before" means the database is back exactly where the upgrade found it.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.fingerprint import content_tables

CHECK = "ops.schema_upgrade"
# What an upgrade itself writes into an empty database: the built-in roles and permissions, and the vocabularies.
SEEDED_BY_SCHEMA = frozenset({"roles", "permissions", "role_permissions", "channels", "payment_methods"})


class UpgradeStatus(StrEnum):
    PASSED = "passed"
    ROLLED_BACK = "rolled_back"  # failed, and the database is back where it was (fingerprint equal)
    FAILED = "failed"  # failed, and the rollback did not bring the database back: act now


class RollbackMethod(StrEnum):
    TRANSACTION = "transaction"  # the migration failed inside its transaction: PostgreSQL undid it
    DOWNGRADE = "downgrade"
    RESTORE = "restore"


class UpgradeOutcome(BaseModel):
    database: str
    start_revision: str | None
    target_revision: str | None
    final_revision: str | None = None
    applied: list[str] = Field(default_factory=list, description="revisions the upgrade applied, in order")
    backup_id: str | None = None
    status: UpgradeStatus = UpgradeStatus.PASSED
    failed_at: str | None = Field(default=None, description="upgrade, verify:<revision>, db-check or smoke")
    reason: str = ""
    verified: list[str] = Field(default_factory=list, description="what was verified after the upgrade")
    rollback: RollbackMethod | None = None
    rollback_notes: list[str] = Field(default_factory=list)
    fingerprint_before: str | None = None
    fingerprint_after: str | None = None
    timings_s: dict[str, float] = Field(default_factory=dict, description="seconds per stage")

    @property
    def duration_s(self) -> float:
        return round(sum(self.timings_s.values()), 3)

    def evidence(self) -> dict[str, float]:
        return {"ops.schema_upgrade.ok": 1.0 if self.status is UpgradeStatus.PASSED else 0.0,
                "ops.schema_upgrade.duration_s": self.duration_s}


def existing_tables(session: Session, schema: str = "public") -> list[str]:
    rows = session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
                           {"s": schema})
    return [str(r[0]) for r in rows]


def holds_business_data(session: Session) -> bool:
    """Whether any ERP content table (other than what the schema seeds) has a row, at whatever revision."""
    present = set(existing_tables(session))
    tables = sorted(t.name for t in content_tables() if t.name in present and t.name not in SEEDED_BY_SCHEMA)
    if not tables:
        return False
    probe = " OR ".join(f'EXISTS (SELECT 1 FROM "{name}")' for name in tables)
    return bool(session.execute(text(f"SELECT {probe}")).scalar_one())


def schema_fingerprint(session: Session, schema: str = "public") -> str:
    """Row count and an order-independent hash of every row of every table in `schema`, as one digest."""
    parts = []
    for name in existing_tables(session, schema):
        row_hash = "('x' || left(md5(t::text), 15))::bit(60)::bigint"
        rows, total = session.execute(
            text(f'SELECT count(*), coalesce(sum({row_hash}), 0)::text FROM "{schema}"."{name}" AS t')).one()
        parts.append(f"{name}:{rows}:{total}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
