"""Read models for the API: one order with its lines and payments, and paginated, filtered lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import NotFound


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def _equal(**filters: tuple[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """WHERE conditions `column = :name` for the filters that are given (value not None)."""
    where = [f"{column} = :{name}" for name, (column, value) in filters.items() if value is not None]
    params = {name: value for name, (_, value) in filters.items() if value is not None}
    return where, params


def _page(session: Session, select_sql: str, where: list[str], params: dict[str, Any], order_by: str,
          limit: int, offset: int) -> Page:
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = session.execute(text(f"SELECT count(*) FROM ({select_sql}{clause}) AS q"), params).scalar_one()
    rows = session.execute(
        text(f"{select_sql}{clause} ORDER BY {order_by} LIMIT :limit OFFSET :offset"),
        params | {"limit": limit, "offset": offset},
    ).mappings()
    return Page([dict(r) for r in rows], int(total), limit, offset)


_ORDERS = """SELECT o.id, c.code AS channel, o.external_id, cu.code AS customer_ref, o.status, o.currency,
                    o.total, o.freight, o.ordered_at FROM sales_orders o JOIN channels c ON c.id = o.channel_id
                    LEFT JOIN customers cu ON cu.id = o.customer_id"""


def get_order(session: Session, *, order_id: int) -> dict[str, Any]:
    row = session.execute(text(f"{_ORDERS} WHERE o.id = :id"), {"id": order_id}).mappings().one_or_none()
    if row is None:
        raise NotFound(f"no sales order {order_id}", order_id=order_id)
    lines = session.execute(
        text("""SELECT l.line_no, k.code AS sku, w.code AS warehouse, l.qty, l.qty_shipped, l.qty_returned,
                       l.unit_price FROM sales_order_lines l JOIN skus k ON k.id = l.sku_id
                LEFT JOIN warehouses w ON w.id = l.warehouse_id WHERE l.sales_order_id = :id ORDER BY l.line_no"""),
        {"id": order_id},
    ).mappings()
    payments = session.execute(
        text("""SELECT p.kind, m.code AS method, p.amount, p.currency, p.paid_at, p.external_ref FROM payments p
                JOIN payment_methods m ON m.id = p.payment_method_id WHERE p.sales_order_id = :id ORDER BY p.id"""),
        {"id": order_id},
    ).mappings()
    ship_to = session.execute(
        text("""SELECT ship_to_name AS name, ship_to_phone AS phone, ship_country AS country, ship_province AS province,
                       ship_city AS city, ship_district AS district, ship_address AS address, ship_postcode AS postcode
                FROM sales_orders WHERE id = :id"""), {"id": order_id},
    ).mappings().one()
    shipments = session.execute(
        text("""SELECT s.carrier, s.tracking_no, w.code AS warehouse, s.shipped_at, s.delivered_at FROM shipments s
                LEFT JOIN warehouses w ON w.id = s.warehouse_id WHERE s.sales_order_id = :id ORDER BY s.id"""),
        {"id": order_id},
    ).mappings()
    return dict(row) | {"lines": [dict(r) for r in lines], "payments": [dict(p) for p in payments],
                        "ship_to": dict(ship_to), "shipments": [dict(s) for s in shipments]}


def list_orders(session: Session, *, channel: str | None = None, status: str | None = None,
                customer_ref: str | None = None, limit: int = 50, offset: int = 0) -> Page:
    where, params = _equal(channel=("c.code", channel), status=("o.status", status),
                           customer=("cu.code", customer_ref))
    return _page(session, _ORDERS, where, params, "o.id DESC", limit, offset)


def list_stock(session: Session, *, warehouse: str | None = None, sku_prefix: str | None = None,
               limit: int = 50, offset: int = 0) -> Page:
    select_sql = """SELECT k.code AS sku, w.code AS warehouse, s.on_hand, s.reserved,
                           s.on_hand - s.reserved AS available
                    FROM stock_levels s JOIN skus k ON k.id = s.sku_id JOIN warehouses w ON w.id = s.warehouse_id"""
    where, params = _equal(wh=("w.code", warehouse))
    if sku_prefix is not None:
        where.append("starts_with(k.code, :prefix)")
        params["prefix"] = sku_prefix
    return _page(session, select_sql, where, params, "k.code, w.code", limit, offset)


def list_skus(session: Session, *, query: str | None = None, limit: int = 50, offset: int = 0) -> Page:
    select_sql = """SELECT k.code, k.barcode, p.name AS product, k.spec, k.weight_g, k.list_price, k.currency, k.active
                    FROM skus k JOIN products p ON p.id = k.product_id"""
    where: list[str] = []
    params: dict[str, Any] = {}
    if query:
        where.append("(k.code ILIKE :q OR p.name ILIKE :q OR k.barcode = :exact)")
        params = {"q": f"%{query.replace('%', '').replace('_', '')}%", "exact": query}
    return _page(session, select_sql, where, params, "k.code", limit, offset)


def list_audit(session: Session, *, entity: str | None = None, actor: str | None = None,
               limit: int = 50, offset: int = 0) -> Page:
    select_sql = "SELECT id, occurred_at, actor, action, entity, entity_ids, detail FROM audit_log"
    where, params = _equal(entity=("entity", entity), actor=("actor", actor))
    return _page(session, select_sql, where, params, "id DESC", limit, offset)


def list_purchase_orders(session: Session, *, status: str | None = None, supplier: str | None = None,
                         limit: int = 50, offset: int = 0) -> Page:
    select_sql = """SELECT po.id, po.number, s.code AS supplier, w.code AS warehouse, po.status, po.currency,
                           po.total, po.ordered_at, po.expected_on
                    FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
                    JOIN warehouses w ON w.id = po.warehouse_id"""
    where, params = _equal(status=("po.status", status), supplier=("s.code", supplier))
    return _page(session, select_sql, where, params, "po.id DESC", limit, offset)
