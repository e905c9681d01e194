"""The plan file's `operations.feedback` section (see erp_models.ops.plan_section)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FeedbackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
