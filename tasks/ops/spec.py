"""Which limits the monitor judges by: the plan file's `operations.monitor` section, or the built-in defaults."""

from __future__ import annotations

from pathlib import Path

from erp_models.ops.monitor_spec import MonitorSpec
from erp_models.project.spec import load_plan


def resolve_monitor_spec(plan_file: str | None) -> MonitorSpec:
    """The plan's monitor section (its defaults when the plan has none); the built-in limits without a plan.
    A broken plan file raises PlanError, one line naming the file and the problem."""
    if plan_file is None:
        return MonitorSpec()
    plan, _ = load_plan(Path(plan_file))
    return plan.operations.monitor
