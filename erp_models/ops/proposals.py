"""Reorder proposals from measured demand: each SKU's stocking position (read here) against its reorder point.

One stocking position per SKU. With a reorder rule it is the rule's warehouse (of several, the one holding most of
the SKU): its available stock plus what approved orders still owe there, bounded by the rule's max. Without a rule
it is the SKU's stock in every warehouse, delivered to the warehouse holding most of it (else the first active
one). The supplier is the one of the SKU's latest purchase order, as for the min/max suggestions.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.ops.analysis import SkuFigures
from erp_models.ops.analysis_spec import AnalysisSpec
from erp_models.ops.reorder import OrderRule, lead_time_days, order_quantity, order_up_to, reorder_point, z_for


class LeadTimeSource(enum.StrEnum):
    RECEIPTS = "receipts"  # the supplier's recent approval-to-receipt waits
    RULE = "rule"  # the reorder rule's stated lead time
    DEFAULT = "default"  # operations.analysis.default_lead_time_days


@dataclass(frozen=True)
class StockPosition:
    sku: str
    warehouse: str | None
    available: int
    on_order: int
    rule_max: int | None
    rule_lead_time_days: int | None
    supplier: str | None
    unit_cost: int | None
    currency: str | None


@dataclass(frozen=True)
class ReorderProposal:
    sku: str
    name: str
    abc: str
    warehouse: str | None
    supplier: str | None
    unit_cost: int | None
    currency: str | None
    mean_daily: float
    sd_daily: float
    lead_time_days: float
    lead_time_source: LeadTimeSource
    service_level: float
    z: float
    rop: float
    available: int
    on_order: int
    position: int
    rule_max: int | None
    target: float
    qty: int
    no_draft_reason: str | None  # why a quantity to order cannot become a draft (no supplier, no warehouse)

    @property
    def below_rop(self) -> bool:
        return self.position < self.rop


_POSITIONS = text("""
    WITH rules AS (
        SELECT DISTINCT ON (r.sku_id) r.sku_id, r.warehouse_id, r.max_qty, r.lead_time_days
        FROM reorder_rules r JOIN warehouses w ON w.id = r.warehouse_id AND w.active
        LEFT JOIN stock_levels s ON s.sku_id = r.sku_id AND s.warehouse_id = r.warehouse_id
        ORDER BY r.sku_id, coalesce(s.on_hand, 0) DESC, w.code),
    main_wh AS (
        SELECT DISTINCT ON (s.sku_id) s.sku_id, s.warehouse_id
        FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id AND w.active
        ORDER BY s.sku_id, s.on_hand DESC, w.code),
    first_wh AS (SELECT id FROM warehouses WHERE active ORDER BY code LIMIT 1),
    stock AS (SELECT sku_id, warehouse_id, on_hand - reserved AS available FROM stock_levels),
    on_order AS (
        SELECT l.sku_id, p.warehouse_id, sum(l.qty_ordered - l.qty_received) AS qty
        FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
        WHERE p.status IN ('approved', 'partially_received') GROUP BY l.sku_id, p.warehouse_id),
    last_purchase AS (
        SELECT DISTINCT ON (l.sku_id) l.sku_id, s.code AS supplier, l.unit_cost, p.currency
        FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
        JOIN suppliers s ON s.id = p.supplier_id
        WHERE p.status <> 'cancelled' AND s.active AND p.origin IS DISTINCT FROM 'analysis'
        ORDER BY l.sku_id, p.ordered_at DESC, p.id DESC, l.line_no DESC)
    SELECT k.code, w.code,
           coalesce((SELECT sum(available) FROM stock st WHERE st.sku_id = k.id
                     AND (r.sku_id IS NULL OR st.warehouse_id = r.warehouse_id)), 0),
           coalesce((SELECT sum(qty) FROM on_order oo WHERE oo.sku_id = k.id
                     AND (r.sku_id IS NULL OR oo.warehouse_id = r.warehouse_id)), 0),
           r.max_qty, r.lead_time_days, lp.supplier, lp.unit_cost, lp.currency
    FROM skus k LEFT JOIN rules r ON r.sku_id = k.id LEFT JOIN main_wh m ON m.sku_id = k.id
    LEFT JOIN warehouses w ON w.id = coalesce(r.warehouse_id, m.warehouse_id, (SELECT id FROM first_wh))
    LEFT JOIN last_purchase lp ON lp.sku_id = k.id
    WHERE k.active AND k.code = ANY(:codes)""")

_WAITS = text("""
    WITH receipts AS (
        SELECT s.code, extract(epoch FROM g.received_at - coalesce(p.approved_at, p.ordered_at)) AS wait_s,
               row_number() OVER (PARTITION BY p.supplier_id ORDER BY g.received_at DESC, g.id DESC) AS n
        FROM goods_receipts g JOIN purchase_orders p ON p.id = g.purchase_order_id
        JOIN suppliers s ON s.id = p.supplier_id)
    SELECT code, greatest(wait_s, 0) FROM receipts WHERE n <= :n ORDER BY code, n""")


def stock_positions(session: Session, *, skus: Sequence[str]) -> dict[str, StockPosition]:
    rows = session.execute(_POSITIONS, {"codes": sorted(set(skus))})
    return {str(r[0]): StockPosition(str(r[0]), r[1], int(r[2]), int(r[3]), r[4], r[5], r[6],
                                     None if r[7] is None else int(r[7]), r[8]) for r in rows}


def supplier_lead_times(session: Session, *, receipts: int) -> dict[str, float]:
    """Mean approval-to-receipt days of each supplier's `receipts` latest goods receipts."""
    from datetime import timedelta

    waits: dict[str, list[timedelta]] = {}
    for code, seconds in session.execute(_WAITS, {"n": receipts}):
        waits.setdefault(str(code), []).append(timedelta(seconds=float(seconds)))
    return {code: days for code, found in waits.items() if (days := lead_time_days(found)) is not None}


def propose(figures: Sequence[SkuFigures], positions: Mapping[str, StockPosition], lead_times: Mapping[str, float],
            spec: AnalysisSpec) -> list[ReorderProposal]:
    """A proposal for every SKU that sold in the window or has a rule; `qty` > 0 only below its ROP."""
    rounding = {"qty_multiple": spec.qty_multiple, "min_order_qty": spec.min_order_qty}
    proposals = []
    for f in figures:
        pos = positions.get(f.sku)
        if pos is None or (f.mean_daily == 0 and pos.rule_max is None):
            continue
        if pos.supplier is not None and pos.supplier in lead_times:
            lead, source = lead_times[pos.supplier], LeadTimeSource.RECEIPTS
        elif pos.rule_lead_time_days is not None:
            lead, source = float(pos.rule_lead_time_days), LeadTimeSource.RULE
        else:
            lead, source = float(spec.default_lead_time_days), LeadTimeSource.DEFAULT
        level = getattr(spec.service_levels, f.abc.value)
        z = z_for(level)
        rop = reorder_point(f.mean_daily, f.sd_daily, lead, z)
        position = pos.available + pos.on_order
        target = order_up_to(rop, f.mean_daily, spec.review_days, pos.rule_max)
        qty = order_quantity(position, rop, target, OrderRule(max_qty=pos.rule_max, **rounding))
        reason = None if qty == 0 else ("no supplier: the SKU was never bought" if pos.supplier is None or
                                        pos.unit_cost is None else "no active warehouse" if pos.warehouse is None
                                        else None)
        proposals.append(ReorderProposal(
            sku=f.sku, name=f.name, abc=f.abc.value, warehouse=pos.warehouse, supplier=pos.supplier,
            unit_cost=pos.unit_cost, currency=pos.currency, mean_daily=f.mean_daily, sd_daily=f.sd_daily,
            lead_time_days=lead, lead_time_source=source, service_level=level, z=z, rop=rop,
            available=pos.available, on_order=pos.on_order, position=position, rule_max=pos.rule_max,
            target=target, qty=qty, no_draft_reason=reason))
    return proposals


def expected_days(proposals: Sequence[ReorderProposal]) -> int:
    """Days until a draft's goods are expected: its slowest line's lead time."""
    return math.ceil(max((p.lead_time_days for p in proposals), default=0))
