"""What the business analysis reads from the ERP: the window, sales by channel and day, sales and stock per SKU.
Load tests' and smoke tests' tagged data (erp_models.tagged_data) is left out: it is not demand.

Days are calendar days in the analysis' time zone. Stock is today's stock level: the ledger of a migrated ERP
starts with its opening stock, not at the dates of the history it analyses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.ops.analysis import SkuSales, SkuStock
from erp_models.tagged_data import untagged_order, untagged_sku


@dataclass(frozen=True)
class Window:
    """The days analysed: `first` to `last` inclusive, in `timezone`."""

    first: date
    last: date
    timezone: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.timezone)
        return (datetime.combine(self.first, time(), zone),
                datetime.combine(self.last + timedelta(days=1), time(), zone))


@dataclass(frozen=True)
class ChannelDay:
    day: date
    channel: str
    orders: int
    units: int
    revenue: int
    paid: int  # payments less refunds of those orders
    currency: str


def order_dates(session: Session, *, timezone: str) -> tuple[date, date] | None:
    """The first and the latest order date in the ERP (tagged test orders left out), or None without orders."""
    row = session.execute(text(f"""SELECT min((o.ordered_at AT TIME ZONE :tz)::date),
                                          max((o.ordered_at AT TIME ZONE :tz)::date)
                                   FROM sales_orders o WHERE {untagged_order('o')}"""), {"tz": timezone}).one()
    return None if row[0] is None else (row[0], row[1])


def choose_window(session: Session, *, as_of: date | None, days: int, timezone: str) -> Window:
    """`days` days up to `as_of` (default: the latest order date, else today), not before the first order: days
    before the ERP had any order are missing history, not days without demand."""
    known = order_dates(session, timezone=timezone)
    last = as_of or (known[1] if known else datetime.now(ZoneInfo(timezone)).date())
    first = last - timedelta(days=days - 1)
    if known and known[0] > first:
        first = min(known[0], last)
    return Window(first, last, timezone)


def sales_by_channel_day(session: Session, window: Window) -> list[ChannelDay]:
    start, end = window.bounds()
    rows = session.execute(text(f"""
        WITH orders AS (
            SELECT o.id, c.code AS channel, (o.ordered_at AT TIME ZONE :tz)::date AS day, o.currency
            FROM sales_orders o JOIN channels c ON c.id = o.channel_id
            WHERE o.status <> 'cancelled' AND o.ordered_at >= CAST(:start AS timestamptz)
                  AND o.ordered_at < CAST(:end AS timestamptz) AND {untagged_order('o')}),
        lines AS (SELECT l.sales_order_id, sum(l.qty) AS units, sum(l.qty * l.unit_price) AS revenue
                  FROM sales_order_lines l JOIN orders o ON o.id = l.sales_order_id GROUP BY l.sales_order_id),
        paid AS (SELECT p.sales_order_id,
                        sum(CASE WHEN p.kind = 'refund' THEN -p.amount ELSE p.amount END) AS amount
                 FROM payments p JOIN orders o ON o.id = p.sales_order_id GROUP BY p.sales_order_id)
        SELECT o.day, o.channel, o.currency, count(*), coalesce(sum(l.units), 0), coalesce(sum(l.revenue), 0),
               coalesce(sum(p.amount), 0)
        FROM orders o LEFT JOIN lines l ON l.sales_order_id = o.id LEFT JOIN paid p ON p.sales_order_id = o.id
        GROUP BY o.day, o.channel, o.currency ORDER BY o.day, o.channel"""),
        {"tz": window.timezone, "start": start, "end": end})
    return [ChannelDay(day, str(channel), int(n), int(units), int(revenue), int(paid), str(currency))
            for day, channel, currency, n, units, revenue, paid in rows]


def sales_per_sku(session: Session, window: Window) -> list[SkuSales]:
    start, end = window.bounds()
    rows = session.execute(text(f"""
        SELECT k.code, p.name, (o.ordered_at AT TIME ZONE :tz)::date AS day, o.status = 'cancelled' AS cancelled,
               sum(l.qty), sum(l.qty * l.unit_price), count(DISTINCT o.id), sum(l.qty_returned)
        FROM sales_order_lines l JOIN sales_orders o ON o.id = l.sales_order_id
        JOIN skus k ON k.id = l.sku_id JOIN products p ON p.id = k.product_id
        WHERE o.ordered_at >= CAST(:start AS timestamptz) AND o.ordered_at < CAST(:end AS timestamptz)
              AND {untagged_sku('k')}
        GROUP BY k.code, p.name, day, cancelled"""), {"tz": window.timezone, "start": start, "end": end})
    names: dict[str, str] = {}
    daily: dict[str, list[int]] = defaultdict(lambda: [0] * window.days)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])  # units, revenue, orders, returned, cancelled
    for sku, name, day, cancelled, qty, revenue, orders, returned in rows:
        names[sku] = name
        total = totals[sku]
        if cancelled:
            total[4] += int(qty)
            continue
        daily[sku][(day - window.first).days] += int(qty)
        total[0] += int(qty)
        total[1] += int(revenue)
        total[2] += int(orders)  # an order's lines of one SKU fall on one day, so days never share an order
        total[3] += int(returned)
    return [SkuSales(sku, names[sku], t[0], t[1], t[2], t[3], t[4], tuple(daily[sku]))
            for sku, t in sorted(totals.items())]


def stock_per_sku(session: Session) -> list[SkuStock]:
    """On hand and available of every active SKU that holds stock, summed over warehouses."""
    rows = session.execute(text(f"""
        SELECT k.code, p.name, sum(s.on_hand), sum(s.on_hand - s.reserved)
        FROM stock_levels s JOIN skus k ON k.id = s.sku_id JOIN products p ON p.id = k.product_id
        WHERE k.active AND {untagged_sku('k')} GROUP BY k.code, p.name HAVING sum(s.on_hand) > 0 ORDER BY k.code"""))
    return [SkuStock(str(sku), str(name), int(on_hand), int(available)) for sku, name, on_hand, available in rows]
