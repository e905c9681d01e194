"""Migration bookkeeping: runs, batch checkpoints, the legacy-key map and quarantined rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, IntPK
from erp_models.enums import CheckpointPhase, MigrationMode, MigrationRunStatus, checked_enum

# None of these tables is ERP business content: fingerprints and reconciliation skip them.


class MigrationRun(Base):
    __tablename__ = "migration_runs"
    __table_args__ = ({"info": {"erp_content": False}},)

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, default=uuid.uuid4, info={"fingerprint": False}
    )
    mapping_name: Mapped[str] = mapped_column(String(200))
    mapping_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the mapping file
    mode: Mapped[MigrationMode] = mapped_column(checked_enum(MigrationMode, "mode"))
    status: Mapped[MigrationRunStatus] = mapped_column(
        checked_enum(MigrationRunStatus, "status"),
        default=MigrationRunStatus.RUNNING,
        server_default=MigrationRunStatus.RUNNING.value,
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Delta runs load only what changed after this source watermark.
    watermark: Mapped[str | None] = mapped_column(String(64))
    undo_of_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("migration_runs.id", ondelete="RESTRICT"), index=True
    )
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The Prefect flow run doing the run; a resume replaces it (and marks the one it replaces crashed).
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class MigrationCheckpoint(Base):
    """A committed batch; it is written in the same transaction as the batch, so resuming never duplicates."""

    __tablename__ = "migration_checkpoints"
    __table_args__ = (
        UniqueConstraint("run_id", "entity", "phase", "batch_no"),
        CheckConstraint("batch_no >= 0", name="batch_no_nonnegative"),
        CheckConstraint("phase IN ('staged', 'loaded')", name="phase_known"),
        CheckConstraint(
            "rows_read >= 0 AND rows_loaded >= 0 AND rows_quarantined >= 0", name="row_counts_nonnegative"
        ),
        {"info": {"erp_content": False}},
    )

    id: Mapped[IntPK]
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("migration_runs.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(64))
    # staged: extracted, transformed, gated and copied to staging; loaded: upserted into the ERP tables.
    phase: Mapped[str] = mapped_column(String(16), server_default=CheckpointPhase.LOADED.value)
    batch_no: Mapped[int]
    rows_read: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_loaded: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_quarantined: Mapped[int] = mapped_column(default=0, server_default="0")
    # Of rows_loaded, how many were new and changed rows (the rest were unchanged): a resume's counts.
    rows_inserted: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_updated: Mapped[int] = mapped_column(default=0, server_default="0")
    gate: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # a staged batch's gate result
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LegacyKeyMap(Base):
    """Which ERP row a legacy record became, and the hash of its content at the last load."""

    __tablename__ = "legacy_key_map"
    __table_args__ = (UniqueConstraint("entity", "legacy_key"), {"info": {"erp_content": False}})

    id: Mapped[IntPK]
    entity: Mapped[str] = mapped_column(String(64))
    legacy_key: Mapped[str] = mapped_column(String(200))
    target_id: Mapped[int] = mapped_column(BigInteger)
    row_hash: Mapped[str] = mapped_column(String(64))
    # The runs that first and last wrote the row. No foreign keys: checked row by row they cost a third of a
    # load; a trigger refuses to delete a run the map names instead (revision 0005).
    first_run_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    last_run_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class QuarantinedRow(Base):
    """A source row a gate or transform rejected, kept raw with a reason code for the migration engineer."""

    __tablename__ = "quarantined_rows"
    __table_args__ = ({"info": {"erp_content": False}},)

    id: Mapped[IntPK]
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("migration_runs.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    legacy_key: Mapped[str | None] = mapped_column(String(200))
    reason_code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source_file: Mapped[str | None] = mapped_column(String(500))
    source_row: Mapped[int | None]


class MigrationChange(Base):
    """The row a migration run changed or adopted, as it was before: what `--undo` restores."""

    __tablename__ = "migration_changes"
    __table_args__ = ({"info": {"erp_content": False}},)

    id: Mapped[IntPK]
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("migration_runs.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int] = mapped_column(BigInteger)
    before: Mapped[dict[str, Any]] = mapped_column(JSONB)


class MigrationIdReservation(Base):
    """Ids a run set aside for the new rows of one entity, decided once before its batches load.

    A batch inserts its new rows at `first_id - 1 + position`, so a resumed run writes the ids a clean run
    would. While the run is unfinished, no other run hands the same ids out (and the table's sequence has
    moved past them, so the API does not either)."""

    __tablename__ = "migration_id_reservations"
    __table_args__ = (UniqueConstraint("run_id", "entity"), CheckConstraint("first_id > 0 AND last_id >= first_id",
                                                                            name="ids_ordered"),
                      {"info": {"erp_content": False}})

    id: Mapped[IntPK]
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("migration_runs.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(64))
    table_name: Mapped[str] = mapped_column(String(64), index=True)
    first_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)
