"""Placing and cancelling sales orders: idempotent on (channel, external_id), all-or-nothing reservations.

The hot path of the API, so it runs a fixed handful of statements: the order row (ON CONFLICT makes a
replay or a concurrent duplicate harmless), one SKU lookup, one locking UPDATE per line, then the lines,
events and audit row in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from erp_models.enums import SalesOrderStatus
from erp_models.errors import InsufficientStock, InvalidInput, InvalidTransition, NotFound
from erp_models.integration.outbox import record_events
from erp_models.inventory.services import change_reservation
from erp_models.sales.models import SalesOrderLine
from erp_models.security.audit import audit


@dataclass(frozen=True)
class OrderLineInput:
    sku: str
    qty: int
    unit_price: int  # minor units (fen)


@dataclass(frozen=True)
class PlacedOrder:
    id: int
    status: str
    created: bool  # False when (channel, external_id) had been placed before: a replay


_RESERVE_FROM_ANY_WAREHOUSE = text(
    # The row lock in the subquery re-checks availability against the newest row version, and moves on
    # to the next warehouse when another transaction got there first.
    """UPDATE stock_levels SET reserved = reserved + :q, version = version + 1
       WHERE id = (SELECT id FROM stock_levels WHERE sku_id = :s AND on_hand - reserved >= :q
                   ORDER BY on_hand - reserved DESC, warehouse_id LIMIT 1 FOR UPDATE)
       RETURNING warehouse_id"""
)


def _validate(external_id: str, lines: Sequence[OrderLineInput]) -> None:
    if not external_id.strip():
        raise InvalidInput("external_id must not be empty")
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


def _customer_id(session: Session, customer_ref: str | None) -> int | None:
    if not customer_ref:
        return None
    return int(
        session.execute(
            text(
                """WITH new AS (INSERT INTO customers (code, name) VALUES (:r, :r) ON CONFLICT (code) DO NOTHING
                               RETURNING id)
                   SELECT id FROM new UNION ALL SELECT id FROM customers WHERE code = :r LIMIT 1"""
            ),
            {"r": customer_ref},
        ).scalar_one()
    )


def place_order(
    session: Session, *, channel: str, external_id: str, customer_ref: str | None,
    lines: Sequence[OrderLineInput], actor: str, currency: str = "CNY",
) -> PlacedOrder:
    """Place an order and reserve every line, or reserve nothing and raise; a replay returns the first order."""
    _validate(external_id, lines)
    customer_id = _customer_id(session, customer_ref)
    order_id = session.execute(
        text(
            """INSERT INTO sales_orders (channel_id, external_id, customer_id, currency, total)
               SELECT id, :ext, :cust, :cur, :total FROM channels WHERE code = :ch
               ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING id"""
        ),
        {"ext": external_id, "cust": customer_id, "cur": currency, "ch": channel,
         "total": sum(line.qty * line.unit_price for line in lines)},
    ).scalar_one_or_none()
    if order_id is None:
        existing = find_channel_order(session, channel=channel, external_id=external_id)
        if existing is None:
            raise InvalidInput(f"unknown channel {channel!r}", channel=channel)
        return existing
    found = session.execute(
        text("SELECT code, id FROM skus WHERE code = ANY(:codes) AND active"),
        {"codes": sorted({line.sku for line in lines})},
    )
    sku_ids: dict[str, int] = {str(code): int(sku_id) for code, sku_id in found}
    unknown = sorted({line.sku for line in lines} - set(sku_ids))
    if unknown:
        raise InvalidInput(f"unknown or inactive SKU {unknown[0]!r}", skus=unknown)
    warehouses: dict[int, int] = {}
    # Lock stock rows in SKU order, so two orders for the same SKUs can never deadlock.
    for n, line in sorted(enumerate(lines, start=1), key=lambda item: sku_ids[item[1].sku]):
        warehouse_id = session.execute(_RESERVE_FROM_ANY_WAREHOUSE, {"q": line.qty, "s": sku_ids[line.sku]}).scalar()
        if warehouse_id is None:
            raise InsufficientStock(f"not enough {line.sku} in stock for {line.qty}", sku=line.sku, qty=line.qty)
        warehouses[n] = int(warehouse_id)
    session.execute(
        insert(SalesOrderLine),
        [{"sales_order_id": order_id, "line_no": n, "sku_id": sku_ids[line.sku], "warehouse_id": warehouses[n],
          "qty": line.qty, "unit_price": line.unit_price} for n, line in enumerate(lines, start=1)],
    )
    record_events(session, [
        ("OrderPlaced", "sales_order", order_id, {"channel": channel, "external_id": external_id}),
        *[("StockReserved", "sales_order", order_id,
           {"sku": line.sku, "warehouse_id": warehouses[n], "qty": line.qty}) for n, line in enumerate(lines, 1)],
    ])
    audit(session, actor=actor, action="sales.place_order", entity="sales_orders", ids=[order_id],
          channel=channel, external_id=external_id)
    return PlacedOrder(int(order_id), SalesOrderStatus.PLACED.value, created=True)


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
