"""The business analysis as one use case: read the window's sales and today's stock, figure every SKU, propose
reorders. The flow's tasks wrap `analyse` and `erp_models.ops.reorder_drafts.sync_drafts`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from erp_models.ops.analysis import SkuFigures, abc_counts, sku_figures
from erp_models.ops.analysis_data import (
    ChannelDay,
    Window,
    choose_window,
    sales_by_channel_day,
    sales_per_sku,
    stock_per_sku,
)
from erp_models.ops.analysis_spec import AnalysisSpec
from erp_models.ops.proposals import ReorderProposal, propose, stock_positions, supplier_lead_times


@dataclass(frozen=True)
class AnalysisSummary:
    first_day: date
    last_day: date
    days: int
    timezone: str
    currencies: list[str]
    orders: int
    units: int
    revenue: int
    paid: int
    skus_sold: int
    abc: dict[str, int]
    slow_movers: int
    skus_below_rop: int
    to_order: int  # proposals with a quantity
    draftable: int  # of those, the ones with a supplier and a warehouse
    top_skus: list[tuple[str, str, int, int]] = field(default_factory=list)  # sku, name, units, revenue


@dataclass(frozen=True)
class BusinessAnalysis:
    window: Window
    channel_days: list[ChannelDay]
    figures: list[SkuFigures]
    proposals: list[ReorderProposal]
    summary: AnalysisSummary


def analyse(session: Session, *, spec: AnalysisSpec, as_of: date | None = None, days: int | None = None
            ) -> BusinessAnalysis:
    """Sales by channel and day, every SKU's figures and ABC class, and reorder proposals, as of `as_of`."""
    window = choose_window(session, as_of=as_of, days=days or spec.days, timezone=spec.timezone)
    channel_days = sales_by_channel_day(session, window)
    figures = sku_figures(sales_per_sku(session, window), stock_per_sku(session), days=window.days,
                          a_share=spec.a_share, b_share=spec.b_share, slow_cover_days=spec.slow_cover_days)
    positions = stock_positions(session, skus=[f.sku for f in figures])
    proposals = propose(figures, positions, supplier_lead_times(session, receipts=spec.lead_time_receipts), spec)
    sold = [f for f in figures if f.units > 0]
    summary = AnalysisSummary(
        first_day=window.first, last_day=window.last, days=window.days, timezone=window.timezone,
        currencies=sorted({c.currency for c in channel_days}), orders=sum(c.orders for c in channel_days),
        units=sum(c.units for c in channel_days), revenue=sum(c.revenue for c in channel_days),
        paid=sum(c.paid for c in channel_days), skus_sold=len(sold), abc=abc_counts(figures),
        slow_movers=sum(f.slow_mover for f in figures), skus_below_rop=sum(p.below_rop for p in proposals),
        to_order=sum(p.qty > 0 for p in proposals),
        draftable=sum(p.qty > 0 and p.no_draft_reason is None for p in proposals),
        top_skus=[(f.sku, f.name, f.units, f.revenue) for f in sold[:spec.top_n]])
    return BusinessAnalysis(window, channel_days, figures, proposals, summary)
