"""Project tracking: budget and spend, training, trial-run feedback and the evidence gates are judged on."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, CreatedAt, Currency, IntPK, Money, Name
from erp_models.enums import FeedbackSeverity, FeedbackStatus, checked_enum


class BudgetLine(Base):
    __tablename__ = "budget_lines"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_nonnegative"),
        UniqueConstraint("project_id", "phase_id", "category"),
    )

    id: Mapped[IntPK]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Money]
    currency: Mapped[Currency]


class SpendEntry(Base):
    __tablename__ = "spend_entries"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[IntPK]
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Money]
    currency: Mapped[Currency]
    spent_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(500))


class TrainingSession(Base):
    __tablename__ = "training_sessions"

    id: Mapped[IntPK]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[Name]
    role: Mapped[str] = mapped_column(String(32))  # the role trained, e.g. "warehouse"
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trainer: Mapped[str] = mapped_column(String(64))


class TrainingAttendance(Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("training_session_id", "attendee"),)

    id: Mapped[IntPK]
    training_session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    attendee: Mapped[str] = mapped_column(String(64))
    attended: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # When the invitee confirmed, in the trial-run portal, that they will attend (trainers still record who came).
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("resolved_at IS NULL OR status IN ('resolved', 'closed')", name="resolved_at_when_resolved"),
    )

    id: Mapped[IntPK]
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    module: Mapped[str] = mapped_column(String(32))
    severity: Mapped[FeedbackSeverity] = mapped_column(checked_enum(FeedbackSeverity, "severity"))
    status: Mapped[FeedbackStatus] = mapped_column(
        checked_enum(FeedbackStatus, "status"),
        default=FeedbackStatus.OPEN,
        server_default=FeedbackStatus.OPEN.value,
        index=True,
    )
    title: Mapped[Name]
    body: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]
    # The feedback loop (operations): what it is about, who owns it, and the change that resolved it.
    milestone: Mapped[str | None] = mapped_column(String(32))  # a milestone code of the loaded plan
    role: Mapped[str | None] = mapped_column(String(32))  # the submitter's ERP role, e.g. "warehouse"
    owner: Mapped[str | None] = mapped_column(String(64))  # set by triage
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A release tag (v1.2.3), a git sha or a flow run's id; required for resolutions made after it was added.
    resolved_by_change: Mapped[str | None] = mapped_column(String(64))


class Evidence(Base):
    """One measured value (a KPI, a gate metric) that milestone criteria are evaluated against."""

    __tablename__ = "evidence"
    # Measurements about the implementation, not ERP business content: fingerprints leave them out.
    __table_args__ = (
        Index("ix_evidence_key_recorded_at", "key", "recorded_at"),
        Index("ix_evidence_run_id", "run_id"),
        CheckConstraint("(withdrawn_at IS NULL) = (withdrawn_by IS NULL)", name="withdrawn_by_whom"),
        {"info": {"erp_content": False}},
    )

    id: Mapped[IntPK]
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    key: Mapped[str] = mapped_column(String(200))  # e.g. "migration.sales_orders.quarantine_rate"
    value: Mapped[float] = mapped_column(Double)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), info={"fingerprint": False}
    )
    # Where the value came from: a flow run id or a command line.
    source: Mapped[str] = mapped_column(String(200), info={"fingerprint": False})
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The run that measured the value (a migration run's id), and what it ran over (the mapping's name).
    # Values with a scope are judged run by run: the gates read every value of the newest run that counts.
    run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, info={"fingerprint": False})
    scope: Mapped[str | None] = mapped_column(String(200))
    # False for a run that changed nothing in the ERP (blocked at its gate, crashed while staging): shown,
    # never judged, so it cannot hide the run whose data the ERP holds.
    counts: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Set when the run was undone: the values stay for the record, and the gates no longer read them.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={"fingerprint": False})
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
