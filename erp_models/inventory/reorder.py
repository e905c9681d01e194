"""Reorder rules, the suggestions they raise when stock runs low, and draft purchase orders made from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import Conflict, InvalidInput
from erp_models.integration.outbox import record_events
from erp_models.inventory.services import sku_id_of, warehouse_id_of
from erp_models.procurement.services import PurchaseLineInput, PurchaseOrderView, create_purchase_order
from erp_models.security.audit import audit


@dataclass(frozen=True)
class ReorderSuggestion:
    sku: str
    warehouse: str
    available: int
    on_order: int
    min_qty: int
    max_qty: int
    lead_time_days: int
    suggested_qty: int
    supplier: str | None  # of the SKU's most recent purchase order; None when it was never bought
    unit_cost: int | None


def set_reorder_rule(
    session: Session, *, sku: str, warehouse: str, min_qty: int, max_qty: int, lead_time_days: int, actor: str,
) -> None:
    """Keep `sku` in `warehouse` between `min_qty` and `max_qty`, replacing any earlier rule."""
    if min_qty < 0 or lead_time_days < 0:
        raise InvalidInput("min_qty and lead_time_days must not be negative", min_qty=min_qty,
                           lead_time_days=lead_time_days)
    if max_qty < min_qty:
        # A rule between two fields, which a schema cannot state: a conflict within the request, not a bad value.
        raise Conflict(f"max_qty {max_qty} is below min_qty {min_qty}", min_qty=min_qty, max_qty=max_qty)
    sku_id, warehouse_id = sku_id_of(session, sku), warehouse_id_of(session, warehouse)
    rule_id = session.execute(
        text(
            """INSERT INTO reorder_rules (sku_id, warehouse_id, min_qty, max_qty, lead_time_days)
               VALUES (:s, :w, :lo, :hi, :lead)
               ON CONFLICT (sku_id, warehouse_id) DO UPDATE
               SET min_qty = excluded.min_qty, max_qty = excluded.max_qty, lead_time_days = excluded.lead_time_days
               RETURNING id"""
        ),
        {"s": sku_id, "w": warehouse_id, "lo": min_qty, "hi": max_qty, "lead": lead_time_days},
    ).scalar_one()
    record_events(session, [("ReorderRuleSet", "reorder_rule", rule_id,
                             {"sku": sku, "warehouse": warehouse, "min_qty": min_qty, "max_qty": max_qty,
                              "lead_time_days": lead_time_days})])
    audit(session, actor=actor, action="inventory.set_reorder_rule", entity="reorder_rules", ids=[rule_id],
          min_qty=min_qty, max_qty=max_qty, lead_time_days=lead_time_days)


_SUGGESTIONS = text(
    # On order: what approved suppliers still owe to that warehouse (drafts are not promises yet).
    # Last purchase: the SKU's newest purchase order in any warehouse, skipping cancelled ones and
    # inactive suppliers, which a new order could not go to.
    """WITH on_order AS (
           SELECT l.sku_id, p.warehouse_id, sum(l.qty_ordered - l.qty_received) AS qty
           FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
           WHERE p.status IN ('approved', 'partially_received') GROUP BY l.sku_id, p.warehouse_id),
       last_purchase AS (
           SELECT DISTINCT ON (l.sku_id) l.sku_id, s.code AS supplier, l.unit_cost
           FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
           JOIN suppliers s ON s.id = p.supplier_id
           WHERE p.status <> 'cancelled' AND s.active
           ORDER BY l.sku_id, p.ordered_at DESC, p.id DESC, l.line_no DESC),
       positions AS (
           SELECT k.code AS sku, w.code AS warehouse, coalesce(sl.on_hand - sl.reserved, 0) AS available,
                  coalesce(oo.qty, 0) AS on_order, r.min_qty, r.max_qty, r.lead_time_days,
                  lp.supplier, lp.unit_cost
           FROM reorder_rules r JOIN skus k ON k.id = r.sku_id JOIN warehouses w ON w.id = r.warehouse_id
           LEFT JOIN stock_levels sl ON sl.sku_id = r.sku_id AND sl.warehouse_id = r.warehouse_id
           LEFT JOIN on_order oo ON oo.sku_id = r.sku_id AND oo.warehouse_id = r.warehouse_id
           LEFT JOIN last_purchase lp ON lp.sku_id = r.sku_id
           WHERE k.active AND w.active AND (CAST(:wh AS bigint) IS NULL OR r.warehouse_id = :wh))
       SELECT sku, warehouse, available, on_order, min_qty, max_qty, lead_time_days,
              max_qty - available - on_order AS suggested_qty, supplier, unit_cost
       FROM positions WHERE available + on_order < min_qty ORDER BY warehouse, sku"""
)


def suggest_reorders(session: Session, *, warehouse: str | None = None) -> list[ReorderSuggestion]:
    """What to buy so that every rule whose stock (available plus on order) is below its minimum is back at max."""
    warehouse_id = None if warehouse is None else warehouse_id_of(session, warehouse)
    rows = session.execute(_SUGGESTIONS, {"wh": warehouse_id})
    return [
        ReorderSuggestion(str(sku), str(wh), int(available), int(on_order), int(lo), int(hi), int(lead),
                          int(qty), None if supplier is None else str(supplier), None if cost is None else int(cost))
        for sku, wh, available, on_order, lo, hi, lead, qty, supplier, cost in rows
    ]


def draft_purchase_orders_from_suggestions(
    session: Session, *, suggestions: Sequence[ReorderSuggestion], actor: str,
) -> list[PurchaseOrderView]:
    """One draft purchase order per (supplier, warehouse); suggestions without a known supplier are skipped."""
    groups: dict[tuple[str, str], list[ReorderSuggestion]] = {}
    for suggestion in suggestions:
        if suggestion.supplier is not None and suggestion.unit_cost is not None:
            groups.setdefault((suggestion.supplier, suggestion.warehouse), []).append(suggestion)
    return [
        create_purchase_order(
            session, supplier=supplier, warehouse=warehouse, actor=actor,
            expected_on=date.today() + timedelta(days=max(s.lead_time_days for s in group)),
            lines=[PurchaseLineInput(s.sku, s.suggested_qty, s.unit_cost) for s in group if s.unit_cost is not None],
        )
        for (supplier, warehouse), group in sorted(groups.items())
    ]
