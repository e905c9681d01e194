"""The analysis flow's tasks: measure, draft the reorders, record evidence, export CSVs, publish artifacts.

The measurement (thousands of SKU figures) does not travel between tasks: Prefect walks every task input, which
cost seconds per task on the UCI data. `measure_business` writes it to <run dir>/analysis.json (an export in its
own right) and returns the small summary; the other tasks take the run directory. Nothing is cached: an analysis
is about the ERP as it is now.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import TypeAdapter

from erp_models.ops.analysis_service import AnalysisSummary, BusinessAnalysis, analyse
from erp_models.ops.analysis_spec import AnalysisSpec
from erp_models.ops.reorder_drafts import DraftsOutcome, sync_drafts
from erp_models.project.evidence import record_evidence
from infra.db import UnitOfWork
from tasks.charts.analysis import render_pareto, render_sales_by_day, render_top_skus
from tasks.charts.style import png_data_uri
from tasks.ops.analysis_report import proposal_rows, sku_rows, summary_markdown, write_csvs

ACTOR = "analysis"
MEASURED = "analysis.json"
_MEASURED = TypeAdapter(BusinessAnalysis)


def load_measured(run_dir: str) -> BusinessAnalysis:
    return _MEASURED.validate_json((Path(run_dir) / MEASURED).read_bytes())


@task(cache_policy=NO_CACHE)
def measure_business(spec: AnalysisSpec, as_of: date | None, days: int | None, run_dir: str) -> AnalysisSummary:
    """Sales by channel and day, every SKU's figures and ABC class, and the reorder proposals, into `run_dir`."""
    with UnitOfWork() as uow:
        measured = analyse(uow.session, spec=spec, as_of=as_of, days=days)
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / MEASURED).write_bytes(_MEASURED.dump_json(measured))
    return measured.summary


@task(cache_policy=NO_CACHE)
def draft_reorders(run_dir: str, today: date) -> DraftsOutcome:
    """Create or revise the analysis' own draft purchase orders (one per supplier and warehouse), and commit."""
    proposals = load_measured(run_dir).proposals
    with UnitOfWork() as uow:
        outcome = sync_drafts(uow.session, proposals=proposals, actor=ACTOR, today=today)
        uow.commit()
    return outcome


def evidence_values(summary: AnalysisSummary) -> dict[str, float]:
    return {"analysis.skus_below_rop": summary.skus_below_rop, "analysis.slow_movers": summary.slow_movers,
            "analysis.proposals": summary.to_order}


@task(cache_policy=NO_CACHE)
def record_analysis_evidence(run_id: uuid.UUID, summary: AnalysisSummary) -> dict[str, float]:
    values = evidence_values(summary)
    with UnitOfWork() as uow:
        record_evidence(uow.session, source=f"analysis flow run {run_id}", values=values, run_id=run_id,
                        detail={"first_day": summary.first_day, "last_day": summary.last_day})
        uow.commit()
    return values


@task(cache_policy=NO_CACHE)
def export_analysis(run_dir: str, drafts: DraftsOutcome | None) -> list[str]:
    """The CSV exports in `run_dir`: sales by channel and day, SKU figures, proposals, drafts."""
    return [str(Path(run_dir) / MEASURED)] + [str(p) for p in write_csvs(load_measured(run_dir), drafts,
                                                                         Path(run_dir))]


@task(cache_policy=NO_CACHE)
def publish_analysis(run_dir: str, drafts: DraftsOutcome | None, spec: AnalysisSpec) -> None:
    """Charts (PNG in `run_dir`, inline in the Markdown), the summary and the SKU and proposal tables."""
    out = Path(run_dir)
    analysis = load_measured(run_dir)
    currency = "/".join(analysis.summary.currencies) or "-"
    charts = {
        "Revenue by channel and day": render_sales_by_day(analysis.channel_days, currency=currency,
                                                          out=out / "sales_by_day.png"),
        "ABC classification": render_pareto(analysis.figures, a_share=spec.a_share, b_share=spec.b_share,
                                            out=out / "abc_pareto.png"),
        "Top SKUs": render_top_skus(analysis.figures, top_n=spec.top_n, currency=currency, out=out / "top_skus.png"),
    }
    create_markdown_artifact(summary_markdown(analysis, drafts, {t: png_data_uri(p) for t, p in charts.items()}, out),
                             key="analysis-summary", description="Business analysis: sales, ABC, reorder proposals")
    create_table_artifact(sku_rows(analysis), key="analysis-skus",
                          description="SKUs by revenue (the first 200; every SKU is in skus.csv)")
    create_table_artifact(proposal_rows(analysis), key="analysis-reorder-proposals",
                          description="Reorder proposals with a quantity, by value (all in reorder_proposals.csv)")
