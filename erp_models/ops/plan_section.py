"""The plan file's `operations:` section: what the operations flows measure against. Each part is its own model,
in the module of the flow that reads it (monitoring, analysis, feedback)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from erp_models.ops.analysis_spec import AnalysisSpec
from erp_models.ops.feedback_spec import FeedbackSpec
from erp_models.ops.monitor_spec import MonitorSpec


class OperationsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    monitor: MonitorSpec = Field(default_factory=MonitorSpec, description="the monitor flow's checks and thresholds")
    analysis: AnalysisSpec = Field(default_factory=AnalysisSpec, description="the analysis flow and reorder proposals")
    feedback: FeedbackSpec = Field(default_factory=FeedbackSpec, description="feedback triage SLAs")
