"""Project plan: the implementation project, its phases, milestones, requirements, risks and vendors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, Code, Currency, IntPK, Name
from erp_models.enums import (
    MilestoneStatus,
    RequirementPriority,
    RequirementStatus,
    RiskStatus,
    checked_enum,
)


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[IntPK]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    goals: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[Currency]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The plan file as last loaded (goals, KPIs, scope), and its sha256 so reloading it is a no-op.
    document: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    document_sha256: Mapped[str | None] = mapped_column(String(64))


class Phase(Base):
    __tablename__ = "phases"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        CheckConstraint("planned_end >= planned_start", name="planned_end_after_start"),
    )

    id: Mapped[IntPK]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    seq: Mapped[int]
    code: Mapped[Code]
    name_zh: Mapped[Name]
    name_en: Mapped[Name]
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    actual_end: Mapped[date | None] = mapped_column(Date)


class Milestone(Base):
    """A gate: passed when every criterion expression holds against the recorded evidence."""

    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[IntPK]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="SET NULL"), index=True)
    code: Mapped[Code]
    name: Mapped[Name]
    owner: Mapped[str] = mapped_column(String(64))
    due_on: Mapped[date] = mapped_column(Date)
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    status: Mapped[MilestoneStatus] = mapped_column(
        checked_enum(MilestoneStatus, "status"),
        default=MilestoneStatus.PENDING,
        server_default=MilestoneStatus.PENDING.value,
    )
    # Expressions over evidence keys, e.g. "migration.sales_orders.quarantine_rate <= 0.02".
    criteria: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")
    evaluated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info={"fingerprint": False}
    )
    # The last verdict per criterion: [{"expression", "key", "value", "passed", "run_id", "recorded_at"}]. Like
    # evaluated_at it records an evaluation (each names the run its value came from), so it is not content.
    verdicts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]",
                                                           info={"fingerprint": False})
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={"fingerprint": False})
    decision_note: Mapped[str | None] = mapped_column(Text)


class Requirement(Base):
    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[IntPK]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    code: Mapped[Code]
    title: Mapped[Name]
    module: Mapped[str] = mapped_column(String(32))
    priority: Mapped[RequirementPriority] = mapped_column(checked_enum(RequirementPriority, "priority"))
    status: Mapped[RequirementStatus] = mapped_column(
        checked_enum(RequirementStatus, "status"),
        default=RequirementStatus.PROPOSED,
        server_default=RequirementStatus.PROPOSED.value,
    )


class Risk(Base):
    __tablename__ = "risks"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        CheckConstraint("likelihood BETWEEN 1 AND 5", name="likelihood_1_to_5"),
        CheckConstraint("impact BETWEEN 1 AND 5", name="impact_1_to_5"),
    )

    id: Mapped[IntPK]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    code: Mapped[Code]
    title: Mapped[Name]
    likelihood: Mapped[int]
    impact: Mapped[int]
    mitigation: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64))
    # Code of the milestone whose failure raises this risk.
    trigger_milestone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[RiskStatus] = mapped_column(
        checked_enum(RiskStatus, "status"), default=RiskStatus.OPEN, server_default=RiskStatus.OPEN.value
    )
    raised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info={"fingerprint": False})


class Vendor(Base):
    __tablename__ = "vendors"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[IntPK]
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[Name]


class VendorScore(Base):
    """One weighted criterion of a vendor evaluation; a vendor's rank is Σ weight × score."""

    __tablename__ = "vendor_scores"
    __table_args__ = (
        UniqueConstraint("vendor_id", "criterion"),
        CheckConstraint("weight BETWEEN 0 AND 1", name="weight_0_to_1"),
        CheckConstraint("score BETWEEN 0 AND 10", name="score_0_to_10"),
    )

    id: Mapped[IntPK]
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(64))
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
