"""What the monitor measures inside PostgreSQL: server health, outbox lag, the rows data quality looks at, and KPIs.

Read-only; each function takes the caller's session. Server figures come from PostgreSQL's statistics views
(pg_stat_activity, pg_stat_user_tables): the bloat figure is the dead-tuple share autovacuum itself acts on, an
estimate that costs nothing, where pgstattuple would scan every table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from erp_models.tagged_data import untagged_order, untagged_sku

OPEN_STATUSES = ("placed", "paid", "partially_shipped")  # orders that still hold reserved stock

# Bloat is judged on tables of at least this many tuples: a small table's dead rows (a rolled-back dry run of a
# migration leaves a whole table's worth) cost nothing, and autovacuum clears them within its next minute.
BLOAT_MIN_ROWS = 10_000


@dataclass(frozen=True)
class DatabaseFigures:
    database: str
    size_bytes: int
    connections: int
    max_connections: int
    longest_transaction_s: float
    lock_waiters: int
    bloat_ratio: float
    bloat_table: str | None


@dataclass(frozen=True)
class Kpis:
    orders_per_hour: float
    by_channel: dict[str, float]
    fill_rate: float | None  # None: no order old enough to have shipped
    stock_outs: int
    top_skus: list[dict[str, Any]] = field(default_factory=list)  # sku, sold, available, days_of_cover

    @property
    def min_days_of_cover(self) -> float | None:
        covers = [s["days_of_cover"] for s in self.top_skus if s["days_of_cover"] is not None]
        return min(covers) if covers else None


def database_figures(session: Session) -> DatabaseFigures:
    row = session.execute(text(
        """SELECT current_database(), pg_database_size(current_database()),
                  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                  current_setting('max_connections')::int,
                  coalesce((SELECT extract(epoch FROM max(clock_timestamp() - xact_start)) FROM pg_stat_activity
                            WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()
                              AND backend_type = 'client backend'), 0),
                  (SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock')""")).one()
    bloat = session.execute(text(
        """SELECT relname, n_dead_tup::float / (n_live_tup + n_dead_tup) FROM pg_stat_user_tables
           WHERE n_live_tup + n_dead_tup >= :rows ORDER BY 2 DESC, relname LIMIT 1"""),
        {"rows": BLOAT_MIN_ROWS}).one_or_none()
    return DatabaseFigures(database=str(row[0]), size_bytes=int(row[1]), connections=int(row[2]),
                           max_connections=int(row[3]), longest_transaction_s=round(float(row[4]), 3),
                           lock_waiters=int(row[5]), bloat_ratio=round(float(bloat[1]), 4) if bloat else 0.0,
                           bloat_table=str(bloat[0]) if bloat else None)


def application_connections(conn: Connection | Session, application_name: str) -> int:
    """How many connections to this database the application that calls itself `application_name` holds."""
    return int(conn.execute(text(
        """SELECT count(*) FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = :a"""), {"a": application_name}).scalar_one())


def outbox_lag_minutes(session: Session) -> tuple[float | None, dict[str, float]]:
    """Per consumer, minutes its oldest unread event has waited (0 when it is caught up); the worst of them.
    (None, {}) when nothing consumes the outbox yet: no consumer can lag."""
    rows = session.execute(text(
        """SELECT c.name, coalesce(extract(epoch FROM now() - (
                    SELECT min(e.occurred_at) FROM outbox_events e
                    WHERE (e.epoch, e.tx_id, e.id) > (c.last_epoch, c.last_tx_id, c.last_event_id))) / 60, 0)
           FROM outbox_consumers c ORDER BY c.name""")).all()
    lags = {str(name): round(float(minutes), 2) for name, minutes in rows}
    return (max(lags.values()) if lags else None), lags


def recent_orders(session: Session, *, days: int) -> list[dict[str, Any]]:
    """Orders placed in the last `days` days with their line counts (the ERP's own and migrated alike)."""
    return [dict(r) for r in session.execute(text(
        """SELECT o.id AS order_id, o.external_id,
                  (SELECT count(*) FROM sales_order_lines l WHERE l.sales_order_id = o.id) AS line_count
           FROM sales_orders o WHERE o.ordered_at >= now() - make_interval(days => :d)"""), {"d": days}).mappings()]


def recent_order_lines(session: Session, *, days: int) -> list[dict[str, Any]]:
    return [dict(r) for r in session.execute(text(
        """SELECT l.id AS line_id, l.sales_order_id AS order_id, l.unit_price FROM sales_order_lines l
           JOIN sales_orders o ON o.id = l.sales_order_id
           WHERE o.ordered_at >= now() - make_interval(days => :d)"""), {"d": days}).mappings()]


def open_reservations(session: Session) -> list[dict[str, Any]]:
    """ERP orders that still hold reserved stock (some quantity unshipped), with their age in days."""
    return [dict(r) for r in session.execute(text(
        """SELECT o.id AS order_id, o.external_id, extract(epoch FROM now() - o.ordered_at) / 86400 AS age_days
           FROM sales_orders o WHERE o.origin = 'erp' AND o.status = ANY(:open)
             AND EXISTS (SELECT 1 FROM sales_order_lines l WHERE l.sales_order_id = o.id AND l.qty_shipped < l.qty)"""),
        {"open": list(OPEN_STATUSES)}).mappings()]


def active_sku_prices(session: Session) -> list[dict[str, Any]]:
    """Active SKUs with their best known price: the list price, else the highest active channel listing's."""
    return [dict(r) for r in session.execute(text(
        """SELECT k.id AS sku_id, k.code AS sku, greatest(k.list_price, coalesce(
                  (SELECT max(c.price) FROM channel_listings c WHERE c.sku_id = k.id AND c.active), 0)) AS price
           FROM skus k WHERE k.active""")).mappings()]


def kpis(session: Session, *, window_days: int, ship_within_hours: int, top: int) -> Kpis:
    """Orders per hour, fill rate, stock-outs and the top sellers' cover, without load tests' and smoke tests'
    tagged data."""
    params = {"d": window_days, "h": ship_within_hours, "top": top}
    by_channel = {str(code): round(float(n) / (window_days * 24), 3) for code, n in session.execute(text(
        f"""SELECT c.code, count(o.id) FROM channels c JOIN sales_orders o ON o.channel_id = c.id
            WHERE o.ordered_at >= now() - make_interval(days => :d) AND {untagged_order('o')}
            GROUP BY c.code ORDER BY c.code"""), params)}
    ordered, shipped = session.execute(text(
        f"""SELECT sum(l.qty), sum(l.qty_shipped)
            FROM sales_order_lines l JOIN sales_orders o ON o.id = l.sales_order_id
            WHERE o.status <> 'cancelled' AND o.ordered_at >= now() - make_interval(days => :d)
              AND o.ordered_at < now() - make_interval(hours => :h) AND {untagged_order('o')}"""), params).one()
    sold = f"""SELECT l.sku_id, sum(l.qty) AS sold FROM sales_order_lines l
               JOIN sales_orders o ON o.id = l.sales_order_id JOIN skus k ON k.id = l.sku_id
               WHERE o.status <> 'cancelled' AND o.ordered_at >= now() - make_interval(days => :d)
                 AND {untagged_sku('k')}
               GROUP BY l.sku_id"""
    available = """SELECT sku_id, sum(on_hand - reserved) AS available FROM stock_levels GROUP BY sku_id"""
    stock_outs = session.execute(text(
        f"""SELECT count(*) FROM ({sold}) s JOIN skus k ON k.id = s.sku_id AND k.active
            LEFT JOIN ({available}) a ON a.sku_id = s.sku_id WHERE coalesce(a.available, 0) <= 0"""),
        params).scalar_one()
    top_rows = session.execute(text(
        f"""SELECT k.code, s.sold, coalesce(a.available, 0) FROM ({sold}) s JOIN skus k ON k.id = s.sku_id
            LEFT JOIN ({available}) a ON a.sku_id = s.sku_id ORDER BY s.sold DESC, k.code LIMIT :top"""), params).all()
    top_skus = [{"sku": str(code), "sold": int(n), "available": int(avail),
                 "days_of_cover": round(int(avail) / (int(n) / window_days), 1) if n else None}
                for code, n, avail in top_rows]
    return Kpis(orders_per_hour=round(sum(by_channel.values()), 3), by_channel=by_channel,
                fill_rate=round(float(shipped) / float(ordered), 4) if ordered else None,
                stock_outs=int(stock_outs), top_skus=top_skus)
