"""Business analysis of the ERP's own sales and stock: ABC by revenue share, demand statistics, sell-through,
return rate, days of cover and slow movers, per SKU. Pure functions over what erp_models.ops.analysis_data reads.

Definitions (also in docs/operations.md):
- demand is the quantity on orders that were not cancelled, per calendar day of the window (days without a sale
  count as 0); d̄ its mean and σ_d its sample standard deviation;
- ABC ranks SKUs by revenue: a SKU is A while the share of the SKUs ranked above it is below `a_share`, B below
  `b_share`, else C (so the top seller is always A); SKUs that sold nothing are C;
- sell-through = units sold / (units sold + on hand now); return rate = units returned / units sold;
- days of cover = available / d̄ (none without demand); a slow mover holds stock that lasts longer than
  `slow_cover_days`, or holds stock and sold nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean, stdev


class AbcClass(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


@dataclass(frozen=True)
class SkuSales:
    """One SKU's sales in the window; `daily` holds the units of each day of the window, oldest first."""

    sku: str
    name: str
    units: int
    revenue: int  # minor units
    orders: int
    returned: int
    cancelled: int  # units on cancelled orders (credit notes of a migrated history)
    daily: tuple[int, ...]


@dataclass(frozen=True)
class SkuStock:
    sku: str
    name: str
    on_hand: int
    available: int


@dataclass(frozen=True)
class SkuFigures:
    sku: str
    name: str
    abc: AbcClass
    rank: int | None  # by revenue; None when it sold nothing
    units: int
    revenue: int
    revenue_share: float
    cumulative_share: float
    orders: int
    returned: int
    return_rate: float | None
    cancelled: int
    on_hand: int
    available: int
    mean_daily: float
    sd_daily: float
    sell_through: float | None
    cover_days: float | None
    slow_mover: bool


def classify_abc(revenue: Mapping[str, int], *, a_share: float, b_share: float) -> dict[str, AbcClass]:
    """ABC class per SKU by cumulative revenue share (ties ranked by SKU code, so the result is stable)."""
    total = sum(max(v, 0) for v in revenue.values())
    classes: dict[str, AbcClass] = {}
    above = 0
    for sku, amount in sorted(revenue.items(), key=lambda item: (-item[1], item[0])):
        share_above = above / total if total else 1.0
        if amount <= 0:
            classes[sku] = AbcClass.C
        elif share_above < a_share:
            classes[sku] = AbcClass.A
        elif share_above < b_share:
            classes[sku] = AbcClass.B
        else:
            classes[sku] = AbcClass.C
        above += max(amount, 0)
    return classes


def demand_stats(daily: Sequence[int]) -> tuple[float, float]:
    """(mean, sample standard deviation) of daily demand; (0, 0) for an empty window."""
    if not daily:
        return 0.0, 0.0
    return fmean(daily), stdev(daily) if len(daily) > 1 else 0.0


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def sku_figures(sales: Sequence[SkuSales], stock: Sequence[SkuStock], *, days: int, a_share: float,
                b_share: float, slow_cover_days: float) -> list[SkuFigures]:
    """Every SKU that sold in the window or holds stock, ranked by revenue (then by code)."""
    by_sku = {s.sku: s for s in sales}
    stock_of = {s.sku: s for s in stock}
    classes = classify_abc({s.sku: s.revenue for s in sales}, a_share=a_share, b_share=b_share)
    total = sum(max(s.revenue, 0) for s in sales)
    ranked = sorted(by_sku.values(), key=lambda s: (-s.revenue, s.sku))
    order = [s.sku for s in ranked] + sorted(set(stock_of) - set(by_sku))
    figures, cumulative = [], 0
    for position, sku in enumerate(order, start=1):
        sold = by_sku.get(sku)
        held = stock_of.get(sku)
        units, revenue = (sold.units, sold.revenue) if sold else (0, 0)
        mean, sd = demand_stats(sold.daily if sold else (0,) * days)
        on_hand, available = (held.on_hand, held.available) if held else (0, 0)
        cumulative += max(revenue, 0)
        cover = available / mean if mean > 0 else None
        named = sold or held
        figures.append(SkuFigures(
            sku=sku, name=named.name if named else sku, abc=classes.get(sku, AbcClass.C),
            rank=position if revenue > 0 else None, units=units, revenue=revenue,
            revenue_share=_ratio(max(revenue, 0), total) or 0.0, cumulative_share=_ratio(cumulative, total) or 0.0,
            orders=sold.orders if sold else 0, returned=sold.returned if sold else 0,
            return_rate=_ratio(sold.returned, units) if sold else None, cancelled=sold.cancelled if sold else 0,
            on_hand=on_hand, available=available, mean_daily=mean, sd_daily=sd,
            sell_through=_ratio(units, units + on_hand), cover_days=cover,
            slow_mover=on_hand > 0 and (units == 0 or (cover is not None and cover > slow_cover_days))))
    return figures


def abc_counts(figures: Sequence[SkuFigures]) -> dict[str, int]:
    counts = {c.value: 0 for c in AbcClass}
    for f in figures:
        counts[f.abc.value] += 1
    return counts
