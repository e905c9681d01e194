"""Invariant checks over the whole ERP database: what `erpops db check` reports.

The schema's constraints prevent most of these; the checks exist to prove it, and to catch data
that arrived while a constraint was disabled or before it existed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ForeignKeyConstraint, text
from sqlalchemy.orm import Session

from erp_models.base import Base

SAMPLE_LIMIT = 5


@dataclass(frozen=True)
class Violation:
    """One kind of invariant breach, how often it occurs, and a few examples."""

    check: str
    description: str
    count: int
    samples: list[dict[str, Any]] = field(default_factory=list)


STOCK_CHECKS: dict[str, tuple[str, str]] = {
    "ledger_mismatch": (
        "on_hand differs from the sum of the stock ledger",
        """SELECT coalesce(s.sku_id, l.sku_id) AS sku_id, coalesce(s.warehouse_id, l.warehouse_id) AS warehouse_id,
                  coalesce(s.on_hand, 0) AS on_hand, coalesce(l.total, 0) AS ledger_total
           FROM stock_levels s
           FULL JOIN (SELECT sku_id, warehouse_id, sum(qty_delta) AS total FROM stock_ledger
                      GROUP BY sku_id, warehouse_id) l
             ON l.sku_id = s.sku_id AND l.warehouse_id = s.warehouse_id
           WHERE coalesce(s.on_hand, 0) <> coalesce(l.total, 0)""",
    ),
    "negative_stock": (
        "on_hand or reserved is negative",
        "SELECT sku_id, warehouse_id, on_hand, reserved FROM stock_levels WHERE on_hand < 0 OR reserved < 0",
    ),
    "over_reserved": (
        "reserved exceeds on_hand",
        "SELECT sku_id, warehouse_id, on_hand, reserved FROM stock_levels WHERE reserved > on_hand",
    ),
    "duplicate_channel_order": (
        "more than one sales order for one (channel, external_id)",
        """SELECT channel_id, external_id, count(*) AS orders FROM sales_orders
           GROUP BY channel_id, external_id HAVING count(*) > 1""",
    ),
    "order_without_lines": (
        "a sales order has no lines",
        """SELECT o.id, o.external_id FROM sales_orders o
           WHERE NOT EXISTS (SELECT 1 FROM sales_order_lines l WHERE l.sales_order_id = o.id)""",
    ),
    # The ERP's rule for the orders it places. A migrated order (origin 'migration') keeps the legacy system's
    # total: when some of its lines were quarantined, the total rightly differs from the lines that loaded.
    "order_total_mismatch": (
        "an order placed in the ERP has a total other than the sum of qty × unit_price of its lines plus freight",
        """SELECT o.id, o.external_id, o.total, o.freight, coalesce(l.lines_total, 0) AS lines_total
           FROM sales_orders o
           LEFT JOIN (SELECT sales_order_id, sum(qty::numeric * unit_price) AS lines_total FROM sales_order_lines
                      GROUP BY sales_order_id) l ON l.sales_order_id = o.id
           WHERE o.origin = 'erp' AND o.total <> coalesce(l.lines_total, 0) + o.freight""",
    ),
    # Only a migrated historical shipment may lack a warehouse, and it has no lines: it moved no stock.
    "shipped_lines_without_warehouse": (
        "a shipment with lines (stock that left) names no warehouse",
        """SELECT s.id, s.sales_order_id FROM shipments s
           WHERE s.warehouse_id IS NULL AND EXISTS (SELECT 1 FROM shipment_lines l WHERE l.shipment_id = s.id)""",
    ),
    "ledger_not_append_only": (
        "the trigger that keeps the stock ledger append-only is missing or disabled",
        """SELECT 'stock_ledger' AS table_name WHERE NOT EXISTS (
               SELECT 1 FROM pg_trigger WHERE tgrelid = 'stock_ledger'::regclass
               AND tgname = 'stock_ledger_append_only' AND tgenabled <> 'D')""",
    ),
}


def _orphan_queries() -> dict[str, tuple[str, str]]:
    """One anti-join per foreign key in the model: child rows whose parent does not exist."""
    queries = {}
    for table in Base.metadata.sorted_tables:
        for fk in table.constraints:
            if not isinstance(fk, ForeignKeyConstraint):
                continue
            parent = fk.referred_table.name
            pairs = list(zip(fk.column_keys, [e.column.name for e in fk.elements], strict=True))
            child_cols = ", ".join(f'c."{c}"' for c, _ in pairs)
            not_null = " AND ".join(f'c."{c}" IS NOT NULL' for c, _ in pairs)
            join = " AND ".join(f'p."{p}" = c."{c}"' for c, p in pairs)
            name = f"orphan:{table.name}.{'+'.join(c for c, _ in pairs)}"
            queries[name] = (
                f"{table.name} rows that reference a missing {parent}",
                f'SELECT {child_cols} FROM "{table.name}" c WHERE {not_null} '
                f'AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE {join})',
            )
    return queries


def find_violations(session: Session) -> list[Violation]:
    """Run every check; an empty list means the database holds all its invariants."""
    found = []
    for check, (description, sql) in (STOCK_CHECKS | _orphan_queries()).items():
        count = session.execute(text(f"SELECT count(*) FROM ({sql}) AS v")).scalar_one()
        if count:
            rows = session.execute(text(f"{sql} LIMIT {SAMPLE_LIMIT}")).mappings().all()
            found.append(Violation(check, description, int(count), [dict(r) for r in rows]))
    return found
