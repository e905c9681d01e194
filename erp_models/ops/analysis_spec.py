"""The plan file's `operations.analysis` section (see erp_models.ops.plan_section): the analysis window, the ABC
thresholds, the service level per ABC class and how reorder quantities are rounded."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ServiceLevels(BaseModel):
    """The chance of not running out during a lead time that each ABC class is planned for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    A: float = Field(default=0.95, gt=0.5, lt=1, description="service level of class A (z = NormalDist().inv_cdf)")
    B: float = Field(default=0.90, gt=0.5, lt=1)
    C: float = Field(default=0.85, gt=0.5, lt=1)


class AnalysisSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int = Field(default=28, ge=1, le=730, description="days of history the demand is measured over")
    timezone: str = Field(default="Asia/Shanghai", description="the zone whose calendar days sales are counted in")
    a_share: float = Field(default=0.80, gt=0, lt=1, description="cumulative revenue share of class A")
    b_share: float = Field(default=0.95, gt=0, lt=1, description="cumulative revenue share of classes A and B")
    service_levels: ServiceLevels = Field(default_factory=ServiceLevels)
    top_n: int = Field(default=10, ge=1, le=100, description="SKUs shown as the top sellers")
    slow_cover_days: float = Field(default=90, gt=0, description="stock lasting longer than this is a slow mover")
    review_days: float = Field(default=14, ge=0, description="without a rule, order up to ROP + this many days of "
                               "demand")
    default_lead_time_days: int = Field(default=7, ge=0, description="lead time without receipts or a rule")
    lead_time_receipts: int = Field(default=10, ge=1, description="a supplier's recent receipts its lead time is "
                                    "measured on")
    qty_multiple: int = Field(default=1, ge=1, description="order quantities round up to a multiple of this (Odoo)")
    min_order_qty: int = Field(default=0, ge=0, description="order at least this much (ERPNext's reorder_qty)")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai, Europe/London)") from None
        return value

    @model_validator(mode="after")
    def _shares_in_order(self) -> AnalysisSpec:
        if self.b_share <= self.a_share:
            raise ValueError(f"b_share {self.b_share} must be above a_share {self.a_share}")
        return self


def analysis_spec_of(plan_file: str | None) -> AnalysisSpec:
    """The plan's `operations.analysis` section, or the defaults without a plan; a bad file is a PlanError."""
    if not plan_file:
        return AnalysisSpec()
    from pathlib import Path

    from erp_models.project.spec import load_plan  # here: the plan's model imports this module

    plan, _ = load_plan(Path(plan_file))
    return plan.operations.analysis
