"""The plan file's `operations.monitor` section (see erp_models.ops.plan_section)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MonitorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
