"""Reorder maths on measured demand: the reorder point, the z of a service level, the lead time of receipts, and
the quantity to order under a min/max rule. Pure functions; erp_models.ops.reorder_drafts writes the drafts.

ROP = d̄·L + z·σ_d·√L (daily demand mean d̄ and deviation σ_d, lead time L in days). A position (available plus
what approved orders still owe) below the ROP orders up to a target: the rule's max (Odoo's min/max), else the ROP
plus `review_days` of demand. The quantity is at least `min_order_qty` (ERPNext's max(reorder_qty, level −
projected)), rounded up to `qty_multiple` (Odoo), and never takes the position over the rule's max.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from statistics import NormalDist, fmean


def reorder_point(mean_daily: float, sd_daily: float, lead_time_days: float, z: float) -> float:
    """ROP = d̄·L + z·σ_d·√L: the demand expected over the lead time plus the safety stock."""
    if mean_daily < 0 or sd_daily < 0 or lead_time_days < 0:
        raise ValueError("demand, its deviation and the lead time must not be negative")
    return mean_daily * lead_time_days + safety_stock(sd_daily, lead_time_days, z)


def safety_stock(sd_daily: float, lead_time_days: float, z: float) -> float:
    return z * sd_daily * math.sqrt(lead_time_days)


def z_for(service_level: float) -> float:
    """The standard normal quantile of a service level (0.90 → 1.2816)."""
    if not 0 < service_level < 1:
        raise ValueError(f"a service level lies strictly between 0 and 1, not {service_level}")
    return NormalDist().inv_cdf(service_level)


def lead_time_days(waits: Sequence[timedelta]) -> float | None:
    """The mean of recent approval-to-receipt waits in days; None when there are none to measure."""
    return fmean(w.total_seconds() / 86_400 for w in waits) if waits else None


@dataclass(frozen=True)
class OrderRule:
    """What bounds an order: the min/max rule's max (None without a rule) and the rounding."""

    max_qty: int | None = None
    qty_multiple: int = 1
    min_order_qty: int = 0


def order_up_to(rop: float, mean_daily: float, review_days: float, max_qty: int | None) -> float:
    """The level an order refills to: the rule's max, else the ROP plus a review period's demand."""
    return float(max_qty) if max_qty is not None else rop + mean_daily * review_days


def order_quantity(position: int, rop: float, target: float, rule: OrderRule) -> int:
    """What to order for a position below the ROP (0 at or above it), rounded and capped as the module says."""
    if rule.qty_multiple < 1 or rule.min_order_qty < 0:
        raise ValueError("qty_multiple must be at least 1 and min_order_qty not negative")
    if position >= rop:
        return 0
    wanted = max(math.ceil(target - position), rule.min_order_qty, 1)
    qty = math.ceil(wanted / rule.qty_multiple) * rule.qty_multiple
    if rule.max_qty is not None:
        room = rule.max_qty - position
        # Rounding must not break the max: fall back to the largest multiple that fits.
        qty = min(qty, room // rule.qty_multiple * rule.qty_multiple if room > 0 else 0)
    return max(qty, 0)
