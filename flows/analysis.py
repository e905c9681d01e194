"""Operate phase: the nightly business analysis. Sales by channel and day, top SKUs and ABC, sell-through, return
rate, days of cover and slow movers, and reorder proposals from the measured demand that become draft purchase
orders for the purchaser to approve. Artifacts in the Prefect UI, CSV exports under <state dir>/analysis/<run id>/.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from prefect import flow, runtime, tags
from prefect.client.schemas.objects import State
from pydantic import BaseModel, Field

from erp_models.ops.analysis_service import AnalysisSummary
from erp_models.ops.analysis_spec import analysis_spec_of
from erp_models.ops.reorder_drafts import DraftOrder
from infra.settings import get_settings
from tasks.ops.analysis import (
    draft_reorders,
    export_analysis,
    measure_business,
    publish_analysis,
    record_analysis_evidence,
)


class AnalysisParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    plan_file: str | None = Field(default=None, description="A plan file whose operations.analysis section applies")
    as_of: date | None = Field(default=None, description="The window's last day; default the latest order's day")
    days: int | None = Field(default=None, ge=1, le=730, description="Days of history; default the plan's (28)")
    drafts: bool = Field(default=True, description="Write the draft purchase orders (off: proposals only)")
    out_dir: str | None = Field(default=None, description="CSV exports go to <out_dir>/<run id>/; default "
                                "<state dir>/analysis")


class AnalysisOutcome(BaseModel):
    run_id: str
    run_dir: str
    summary: AnalysisSummary
    drafts: list[DraftOrder] | None
    files: list[str]
    evidence: dict[str, float]


def _run_name() -> str:
    raw = runtime.flow_run.parameters.get("params")
    as_of = raw.get("as_of") if isinstance(raw, dict) else getattr(raw, "as_of", None)
    return f"analysis/{as_of or 'latest'}"


@flow(name="analysis", flow_run_name=_run_name, log_prints=True)
def analysis(params: AnalysisParams) -> AnalysisOutcome:
    """Measure the window, draft the reorders, record evidence, export CSVs and publish the artifacts."""
    run_id = uuid.UUID(str(runtime.flow_run.id))
    spec = analysis_spec_of(params.plan_file)
    run_dir = str(Path(params.out_dir or get_settings().state_dir / "analysis") / str(run_id))
    s = measure_business(spec, params.as_of, params.days, run_dir)
    print(f"analysis {s.first_day}..{s.last_day}: {s.orders} orders, {s.skus_sold} SKUs sold, ABC {s.abc}, "
          f"{s.skus_below_rop} below their reorder point, {s.to_order} to order ({s.draftable} with a supplier)")
    drafts = draft_reorders(run_dir, date.today()) if params.drafts else None
    evidence = record_analysis_evidence(run_id, s)
    files = export_analysis(run_dir, drafts)
    publish_analysis(run_dir, drafts, spec)
    if drafts is not None:
        print("draft purchase orders: " + ", ".join(f"{drafts.count(a)} {a}" for a in
                                                     ("created", "revised", "unchanged", "cancelled")))
    return AnalysisOutcome(run_id=str(run_id), run_dir=run_dir, summary=s,
                           drafts=None if drafts is None else drafts.drafts, files=files, evidence=evidence)


def run_analysis(params: AnalysisParams) -> tuple[State, AnalysisOutcome | None]:
    """Run the flow tagged `phase:operate`; its final state, and its outcome when it has one."""
    with tags("phase:operate"):
        state: State = analysis(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() else None
    return state, data if isinstance(data, AnalysisOutcome) else None
