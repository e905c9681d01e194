"""One outbox event per state change: the run's orders, purchase orders and SKUs against the events they left.

Each query counts the changes a table shows (an order's lines, shipments, payments; a purchase order's receipts)
next to the events recorded for the same aggregate; a row is a mismatch when the two differ.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_EVENTS = """SELECT aggregate_id, event_type, count(*) AS n FROM outbox_events
             WHERE aggregate_type = :agg AND aggregate_id = ANY(SELECT id FROM mine) GROUP BY 1, 2"""

_ORDERS = text(f"""
    WITH mine AS (SELECT DISTINCT l.sales_order_id AS id FROM sales_order_lines l JOIN skus k ON k.id = l.sku_id
                  WHERE starts_with(k.code, :prefix)),
    ev AS ({_EVENTS}),
    shipped AS (SELECT e.aggregate_id, count(*) AS listed, count(DISTINCT s.value) AS distinct_listed
                FROM outbox_events e CROSS JOIN LATERAL jsonb_array_elements(e.payload -> 'shipments') AS s(value)
                WHERE e.aggregate_type = 'sales_order' AND e.event_type = 'OrderShipped'
                  AND e.aggregate_id = ANY(SELECT id FROM mine) GROUP BY 1)
    SELECT o.id, o.status,
           (SELECT count(*) FROM sales_order_lines WHERE sales_order_id = o.id) AS lines,
           (SELECT count(*) FROM shipments WHERE sales_order_id = o.id) AS shipments,
           (SELECT count(*) FROM payments WHERE sales_order_id = o.id AND kind = 'payment') AS payments,
           (SELECT count(*) FROM payments WHERE sales_order_id = o.id AND kind = 'refund') AS refunds,
           (SELECT count(*) FROM returns WHERE sales_order_id = o.id) AS returns,
           coalesce(sh.listed, 0) AS shipped_listed, coalesce(sh.distinct_listed, 0) AS shipped_distinct,
           coalesce(jsonb_object_agg(ev.event_type, ev.n) FILTER (WHERE ev.event_type IS NOT NULL), '{{}}') AS events
    FROM sales_orders o JOIN mine ON mine.id = o.id LEFT JOIN ev ON ev.aggregate_id = o.id
    LEFT JOIN shipped sh ON sh.aggregate_id = o.id
    GROUP BY o.id, sh.listed, sh.distinct_listed ORDER BY o.id""")

_PURCHASE_ORDERS = text(f"""
    WITH mine AS (SELECT p.id FROM purchase_orders p JOIN suppliers s ON s.id = p.supplier_id
                  JOIN warehouses w ON w.id = p.warehouse_id
                  WHERE starts_with(s.code, :prefix) OR starts_with(w.code, :prefix)),
    ev AS ({_EVENTS})
    SELECT p.id, p.status, p.approved_at IS NOT NULL AS approved,
           (SELECT count(*) FROM goods_receipts WHERE purchase_order_id = p.id) AS receipts,
           coalesce(jsonb_object_agg(ev.event_type, ev.n) FILTER (WHERE ev.event_type IS NOT NULL), '{{}}') AS events
    FROM purchase_orders p JOIN mine ON mine.id = p.id LEFT JOIN ev ON ev.aggregate_id = p.id
    GROUP BY p.id ORDER BY p.id""")

_SKUS = text(f"""
    WITH mine AS (SELECT id FROM skus WHERE starts_with(code, :prefix)),
    ev AS ({_EVENTS})
    SELECT k.code,
           (SELECT count(*) FROM stock_ledger WHERE sku_id = k.id AND reason = 'adjustment') AS adjustments,
           coalesce(jsonb_object_agg(ev.event_type, ev.n) FILTER (WHERE ev.event_type IS NOT NULL), '{{}}') AS events
    FROM skus k JOIN mine ON mine.id = k.id LEFT JOIN ev ON ev.aggregate_id = k.id
    GROUP BY k.id ORDER BY k.code""")


def _diff(what: str, expected: dict[str, int], events: dict[str, int]) -> list[str]:
    return [f"{what}: {kind} events {events.get(kind, 0)}, state changes {want}"
            for kind, want in expected.items() if events.get(kind, 0) != want]


def outbox_mismatches(session: Session, *, tag: str) -> tuple[int, list[str]]:
    """(events looked at, one line per aggregate whose events do not match its changes)."""
    prefix, found, seen = f"{tag}-", [], 0
    for row in session.execute(_ORDERS, {"prefix": prefix, "agg": "sales_order"}).mappings():
        events: dict[str, int] = row["events"]
        seen += sum(events.values())
        expected = {"OrderPlaced": 1, "StockReserved": row["lines"], "PaymentReceived": row["payments"],
                    "RefundIssued": row["refunds"], "ReturnReceived": row["returns"],
                    "OrderCancelled": int(row["status"] == "cancelled")}
        found += _diff(f"sales order {row['id']}", expected, events)
        if not row["shipments"] == row["shipped_listed"] == row["shipped_distinct"]:
            found.append(f"sales order {row['id']}: {row['shipments']} shipments, OrderShipped events list "
                         f"{row['shipped_listed']} ({row['shipped_distinct']} distinct)")
    for row in session.execute(_PURCHASE_ORDERS, {"prefix": prefix, "agg": "purchase_order"}).mappings():
        events = row["events"]
        seen += sum(events.values())
        expected = {"PurchaseOrderCreated": 1, "PurchaseOrderApproved": int(row["approved"]),
                    "GoodsReceived": row["receipts"], "PurchaseOrderClosed": int(row["status"] == "closed"),
                    "PurchaseOrderCancelled": int(row["status"] == "cancelled")}
        found += _diff(f"purchase order {row['id']}", expected, events)
    for row in session.execute(_SKUS, {"prefix": prefix, "agg": "sku"}).mappings():
        events = row["events"]
        seen += sum(events.values())
        found += _diff(f"SKU {row['code']}", {"SkuCreated": 1, "StockAdjusted": row["adjustments"]}, events)
    return seen, found
