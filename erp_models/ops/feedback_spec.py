"""The plan file's `operations.feedback` section (see erp_models.ops.plan_section): the SLA per severity that the
feedback-review flow ages open items against. A plan without the section gets the defaults below."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from erp_models.enums import FeedbackSeverity

# Hours from an item's creation until it must be resolved; suggestions have no SLA.
DEFAULT_SLA_HOURS: dict[FeedbackSeverity, float] = {
    FeedbackSeverity.CRITICAL: 4.0,
    FeedbackSeverity.MAJOR: 24.0,
    FeedbackSeverity.MINOR: 120.0,
}


class FeedbackSpec(BaseModel):
    """`sla_hours` per severity; a plan's value for a severity replaces the default for that severity only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sla_hours: dict[FeedbackSeverity, Annotated[float, Field(gt=0, le=24 * 365)]] = Field(
        default_factory=lambda: dict(DEFAULT_SLA_HOURS),
        description="hours from creation until an unresolved item breaches its SLA, per severity")
    trend_weeks: int = Field(default=12, ge=1, le=104, description="weeks of opened/resolved counts in the trend")

    @field_validator("sla_hours")
    @classmethod
    def _over_the_defaults(cls, given: dict[FeedbackSeverity, float]) -> dict[FeedbackSeverity, float]:
        return DEFAULT_SLA_HOURS | given

    def sla_for(self, severity: FeedbackSeverity) -> float | None:
        return self.sla_hours.get(severity)
