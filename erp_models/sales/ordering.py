"""Placing and cancelling sales orders: idempotent on (channel, external_id), all-or-nothing reservations.

The hot path of the API, so it runs a fixed handful of statements: the customer and order row (ON
CONFLICT makes a replay or a concurrent duplicate harmless), one locking UPDATE per line, then the lines,
events and audit row together.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.enums import SalesOrderStatus
from erp_models.errors import InsufficientStock, InvalidInput, InvalidTransition, NotFound
from erp_models.integration.outbox import record_events
from erp_models.inventory.services import change_reservation
from erp_models.sales.vocabulary import channel_id
from erp_models.security.audit import audit


@dataclass(frozen=True)
class OrderLineInput:
    sku: str
    qty: int
    unit_price: int  # minor units (fen)


@dataclass(frozen=True)
class ShipTo:
    """Where an order goes; every part is optional."""

    name: str | None = None
    phone: str | None = None
    country: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    postcode: str | None = None

    def columns(self) -> dict[str, str | None]:
        return {"ship_to_name": self.name, "ship_to_phone": self.phone, "ship_country": self.country,
                "ship_province": self.province, "ship_city": self.city, "ship_district": self.district,
                "ship_address": self.address, "ship_postcode": self.postcode}


NOWHERE = ShipTo()


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    status: str
    created: bool  # False when (channel, external_id) had been placed before: a replay


_OPEN_ORDER = text(
    # The customer is created on first sight; ON CONFLICT turns a replay (or a concurrent duplicate, which
    # waits for the first to commit) into "no row", answered by find_channel_order.
    """WITH ref AS (SELECT CAST(:cust AS varchar(64)) AS code),
            new_customer AS (INSERT INTO customers (code, name) SELECT code, code FROM ref WHERE code IS NOT NULL
                             ON CONFLICT (code) DO NOTHING RETURNING id),
            customer AS (SELECT id FROM new_customer
                         UNION ALL SELECT c.id FROM customers c JOIN ref ON c.code = ref.code LIMIT 1)
       INSERT INTO sales_orders (channel_id, external_id, customer_id, currency, total, freight, ship_to_name,
                                 ship_to_phone, ship_country, ship_province, ship_city, ship_district,
                                 ship_address, ship_postcode)
       SELECT c.id, :ext, (SELECT id FROM customer), :cur, :total, :freight, :ship_to_name, :ship_to_phone,
              :ship_country, :ship_province, :ship_city, :ship_district, :ship_address, :ship_postcode
       FROM channels c WHERE c.code = CAST(:ch AS text)
       ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id"""
)

_RESERVE_FROM_ANY_WAREHOUSE = text(
    # The row lock in the subquery re-checks availability against the newest row version, and moves on
    # to the next warehouse when another transaction got there first.
    """UPDATE stock_levels SET reserved = reserved + :q, version = version + 1
       WHERE id = (SELECT s.id FROM stock_levels s JOIN skus k ON k.id = s.sku_id
                   WHERE k.code = :sku AND k.active AND s.on_hand - s.reserved >= :q
                   ORDER BY s.on_hand - s.reserved DESC, s.warehouse_id LIMIT 1 FOR UPDATE OF s)
       RETURNING sku_id, warehouse_id"""
)

_RECORD_ORDER = text(
    # Lines, outbox events and the audit row in one round trip: this is the API's hottest path. The
    # columns are those record_events() and audit() write elsewhere.
    """WITH lines AS (
           INSERT INTO sales_order_lines (sales_order_id, line_no, sku_id, warehouse_id, qty, unit_price)
           SELECT :order_id, * FROM unnest(CAST(:line_nos AS int[]), CAST(:sku_ids AS bigint[]),
                                          CAST(:warehouse_ids AS bigint[]), CAST(:qtys AS int[]),
                                          CAST(:prices AS bigint[]))
           RETURNING 1),
       events AS (
           INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload)
           SELECT e.type, 'sales_order', :order_id, e.payload
           FROM unnest(CAST(:event_types AS text[]), CAST(:payloads AS jsonb[])) AS e(type, payload)
           RETURNING 1),
       audited AS (
           INSERT INTO audit_log (actor, action, entity, entity_ids, detail)
           VALUES (:actor, 'sales.place_order', 'sales_orders', jsonb_build_array(:order_id),
                   CAST(:audit_detail AS jsonb))
           RETURNING 1)
       SELECT (SELECT count(*) FROM lines) + (SELECT count(*) FROM events) + (SELECT count(*) FROM audited)"""
)


def _validate(external_id: str, lines: Sequence[OrderLineInput], freight: int) -> None:
    if not external_id.strip():
        raise InvalidInput("external_id must not be empty")
    if freight < 0:
        raise InvalidInput("freight must not be negative (minor units)", freight=freight)
    if not lines:
        raise InvalidInput("an order needs at least one line")
    for n, line in enumerate(lines, start=1):
        if line.qty <= 0:
            raise InvalidInput(f"line {n}: qty must be positive, got {line.qty}", line=n)
        if line.unit_price < 0:
            raise InvalidInput(f"line {n}: unit_price must not be negative", line=n)


def find_channel_order(session: Session, *, channel: str, external_id: str) -> PlacedOrder | None:
    row = session.execute(
        text(
            """SELECT o.id, o.status FROM sales_orders o JOIN channels c ON c.id = o.channel_id
               WHERE c.code = :ch AND o.external_id = :ext"""
        ),
        {"ch": channel, "ext": external_id},
    ).one_or_none()
    return None if row is None else PlacedOrder(int(row[0]), str(row[1]), created=False)


def place_order(
    session: Session, *, channel: str, external_id: str, customer_ref: str | None,
    lines: Sequence[OrderLineInput], actor: str, currency: str = "CNY", freight: int = 0, ship_to: ShipTo = NOWHERE,
) -> PlacedOrder:
    """Place an order and reserve every line, or reserve nothing and raise; a replay returns the first order.

    The total is what the buyer owes: the lines' qty × unit_price plus the freight."""
    _validate(external_id, lines, freight)
    order_id = session.execute(_OPEN_ORDER, {
        "cust": customer_ref or None, "ext": external_id, "cur": currency, "ch": channel, "freight": freight,
        "total": sum(line.qty * line.unit_price for line in lines) + freight, **ship_to.columns(),
    }).scalar_one_or_none()
    if order_id is None:
        existing = find_channel_order(session, channel=channel, external_id=external_id)
        if existing is None:
            channel_id(session, channel)  # raises: no channel has this code
            raise AssertionError(f"channel {channel!r} exists, yet the order was neither placed nor found")
        return existing
    reserved: dict[int, tuple[int, int]] = {}
    # Lock stock rows in SKU-code order, so two orders for the same SKUs can never deadlock.
    for n, line in sorted(enumerate(lines, start=1), key=lambda item: item[1].sku):
        row = session.execute(_RESERVE_FROM_ANY_WAREHOUSE, {"q": line.qty, "sku": line.sku}).one_or_none()
        if row is None:
            _raise_unreservable(session, line)
        reserved[n] = (int(row[0]), int(row[1]))
    numbered = list(enumerate(lines, start=1))
    payloads = [{"channel": channel, "external_id": external_id}] + [
        {"sku": line.sku, "warehouse_id": reserved[n][1], "qty": line.qty} for n, line in numbered]
    session.execute(_RECORD_ORDER, {
        "order_id": order_id, "line_nos": [n for n, _ in numbered], "sku_ids": [reserved[n][0] for n, _ in numbered],
        "warehouse_ids": [reserved[n][1] for n, _ in numbered], "qtys": [line.qty for _, line in numbered],
        "prices": [line.unit_price for _, line in numbered],
        "event_types": ["OrderPlaced"] + ["StockReserved"] * len(lines), "payloads": [json.dumps(p) for p in payloads],
        "actor": actor, "audit_detail": json.dumps({"channel": channel, "external_id": external_id}),
    })
    return PlacedOrder(int(order_id), SalesOrderStatus.PLACED.value, created=True)


def _raise_unreservable(session: Session, line: OrderLineInput) -> NoReturn:
    known = session.execute(text("SELECT 1 FROM skus WHERE code = :c AND active"), {"c": line.sku}).first()
    if known is None:
        raise NotFound(f"unknown or inactive SKU {line.sku!r}", skus=[line.sku])
    raise InsufficientStock(f"not enough {line.sku} in stock for {line.qty}", sku=line.sku, qty=line.qty)


def lock_order(session: Session, order_id: int) -> tuple[str, int]:
    """Lock an order row for a state change; returns (status, total)."""
    row = session.execute(
        text("SELECT status, total FROM sales_orders WHERE id = :id FOR UPDATE"), {"id": order_id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no sales order {order_id}", order_id=order_id)
    return str(row[0]), int(row[1])


def cancel_order(session: Session, *, order_id: int, actor: str) -> PlacedOrder:
    """Cancel an order that has not shipped; its reservations are released."""
    status, _ = lock_order(session, order_id)
    if status not in (SalesOrderStatus.PLACED, SalesOrderStatus.PAID):
        raise InvalidTransition(f"order {order_id} is {status} and can no longer be cancelled", status=status)
    open_lines = session.execute(
        text("""SELECT sku_id, warehouse_id, qty - qty_shipped FROM sales_order_lines
                WHERE sales_order_id = :id AND qty > qty_shipped ORDER BY sku_id, warehouse_id"""),
        {"id": order_id},
    ).all()
    for sku_id, warehouse_id, qty in open_lines:
        if not change_reservation(session, sku_id=sku_id, warehouse_id=warehouse_id, qty=-qty):
            raise InsufficientStock(f"reservation of SKU {sku_id} is already gone", sku_id=sku_id)
    session.execute(text("UPDATE sales_orders SET status = 'cancelled' WHERE id = :id"), {"id": order_id})
    record_events(session, [("OrderCancelled", "sales_order", order_id, {"released_lines": len(open_lines)})])
    audit(session, actor=actor, action="sales.cancel", entity="sales_orders", ids=[order_id])
    return PlacedOrder(order_id, SalesOrderStatus.CANCELLED.value, created=False)
