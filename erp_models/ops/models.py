"""Incidents: what operations found wrong on the live ERP, from opened to acknowledged to resolved."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Double, Index, Integer, String, Text, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, IntPK
from erp_models.enums import checked_enum


class IncidentSeverity(enum.StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class IncidentStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # a person is on it; it stays until its check passes or it is resolved
    RESOLVED = "resolved"


class Incident(Base):
    """One violated check (a monitor threshold, a failed restore drill, a failed post-check), while it lasts.

    At most one unresolved incident per check: a violation that persists updates it (`occurrences`,
    `last_seen_at`, `last_value`); the check passing again resolves it. Not ERP content (fingerprints leave it out).
    """

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ux_incidents_unresolved_check", "check", unique=True, postgresql_where=text("resolved_at IS NULL")),
        Index("ix_incidents_opened_at", "opened_at"),
        {"info": {"erp_content": False}},
    )

    id: Mapped[IntPK]
    check: Mapped[str] = mapped_column(String(120))  # e.g. "db.long_transaction_s", "ops.restore_drill"
    severity: Mapped[IncidentSeverity] = mapped_column(checked_enum(IncidentSeverity, "severity"))
    status: Mapped[IncidentStatus] = mapped_column(
        checked_enum(IncidentStatus, "status"), default=IncidentStatus.OPEN, server_default=IncidentStatus.OPEN.value
    )
    summary: Mapped[str] = mapped_column(String(500))
    detail: Mapped[str] = mapped_column(Text, server_default="")
    source: Mapped[str] = mapped_column(String(200))  # which flow run (or command) saw it last
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_value: Mapped[float | None] = mapped_column(Double)
    occurrences: Mapped[int] = mapped_column(Integer, server_default="1")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(100))  # a person, or "auto: check passed in run ..."
