"""Monitor samples: one row per monitor run with the figures it measured, for the growth check and the charts.

Not ERP content (fingerprints leave it out). Kept for `keep_samples_days`; each run prunes older ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Index, String, Uuid, delete, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from erp_models.base import Base, IntPK


class MonitorSample(Base):
    """What one monitor run measured (`figures`: check -> value, null when not measured) and its verdict."""

    __tablename__ = "monitor_samples"
    __table_args__ = (Index("ix_monitor_samples_taken_at", "taken_at"), {"info": {"erp_content": False}})

    id: Mapped[IntPK]
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    database: Mapped[str] = mapped_column(String(120))
    passed: Mapped[bool] = mapped_column(Boolean)
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB)


@dataclass(frozen=True)
class SampleView:
    taken_at: datetime
    passed: bool
    figures: dict[str, float | None]


def record_sample(session: Session, *, run_id: uuid.UUID | None, database: str, passed: bool,
                  figures: dict[str, float | None], keep_days: int) -> None:
    """Store this run's figures and drop samples older than `keep_days`. The caller commits."""
    session.add(MonitorSample(run_id=run_id, database=database[:120], passed=passed, figures=dict(figures)))
    session.execute(delete(MonitorSample).where(
        MonitorSample.taken_at < func.now() - text("make_interval(days => :keep)").bindparams(keep=keep_days)))
    session.flush()


def recent_samples(session: Session, *, database: str, limit: int) -> list[SampleView]:
    """The newest `limit` samples of `database`, oldest first (as a chart reads them)."""
    rows = session.scalars(select(MonitorSample).where(MonitorSample.database == database)
                           .order_by(MonitorSample.taken_at.desc(), MonitorSample.id.desc()).limit(limit))
    return [SampleView(r.taken_at, r.passed, dict(r.figures)) for r in reversed(list(rows))]


def previous_size(session: Session, *, database: str) -> float | None:
    """The database size the newest earlier sample recorded, in bytes."""
    for sample in reversed(recent_samples(session, database=database, limit=5)):
        size = sample.figures.get("db.size_bytes")
        if size:
            return float(size)
    return None
