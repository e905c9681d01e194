"""The write freeze: one row per freeze, the active one has no `released_at`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, IntPK


class ApiFreeze(Base):
    """A period in which the API refuses business writes (503 `frozen`), kept as history once released.

    `exempt_prefix`, when set, lets the users whose name starts with it write during this freeze (the cutover
    smoke test's tagged users); a new freeze starts without one, and a released freeze keeps its value.

    Not ERP content: a freeze and its release leave the content fingerprint unchanged, so a cutover can
    compare the fingerprints from before and after it.
    """

    __tablename__ = "api_freezes"
    __table_args__ = (
        CheckConstraint("retry_after_s BETWEEN 1 AND 86400", name="retry_after_range"),
        CheckConstraint("released_at IS NULL OR released_at >= frozen_at", name="released_after_frozen"),
        # Every API write reads the active freeze through this index (at most one row: `freeze` serialises).
        Index("ix_api_freezes_active", "released_at", postgresql_where=text("released_at IS NULL")),
        {"info": {"erp_content": False}},
    )

    id: Mapped[IntPK]
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    frozen_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500), server_default="")
    retry_after_s: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(String(100))
    exempt_prefix: Mapped[str | None] = mapped_column(String(64))
