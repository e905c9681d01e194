"""After an order is placed: payments, shipments that consume the reservation, and returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from erp_models.enums import PaymentKind, ReturnDisposition, SalesOrderStatus, StockReason
from erp_models.errors import InvalidInput, InvalidTransition
from erp_models.integration.outbox import record_events
from erp_models.inventory.services import post_movement
from erp_models.sales.models import Payment, Return, ReturnLine, Shipment, ShipmentLine
from erp_models.sales.ordering import lock_order
from erp_models.sales.vocabulary import payment_method_id
from erp_models.security.audit import audit

SHIPPABLE = {SalesOrderStatus.PLACED, SalesOrderStatus.PAID, SalesOrderStatus.PARTIALLY_SHIPPED}
RETURNABLE = {SalesOrderStatus.PARTIALLY_SHIPPED, SalesOrderStatus.SHIPPED, SalesOrderStatus.COMPLETED,
              SalesOrderStatus.RETURNED}


@dataclass(frozen=True)
class LineQty:
    line_no: int
    qty: int


@dataclass(frozen=True)
class ReturnedLine:
    line_no: int
    qty: int
    disposition: ReturnDisposition


def _order_lines(session: Session, order_id: int) -> dict[int, tuple[int, int, int, int, int, int]]:
    """line_no -> (line id, sku id, warehouse id, qty, qty_shipped, qty_returned)."""
    rows = session.execute(
        text("""SELECT line_no, id, sku_id, warehouse_id, qty, qty_shipped, qty_returned
                FROM sales_order_lines WHERE sales_order_id = :id"""),
        {"id": order_id},
    )
    return {int(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6])) for r in rows}


def record_payment(
    session: Session, *, order_id: int, amount: int, method: str, actor: str,
    kind: PaymentKind = PaymentKind.PAYMENT, external_ref: str | None = None,
) -> str:
    """Record a payment or refund by a payment method's code; an order paid in full moves from placed to paid.
    Returns the status."""
    if amount <= 0:
        raise InvalidInput("amount must be positive (minor units)", amount=amount)
    method_id = payment_method_id(session, method)
    status, total = lock_order(session, order_id)
    if status == SalesOrderStatus.CANCELLED and kind == PaymentKind.PAYMENT:
        raise InvalidTransition(f"order {order_id} is cancelled and takes no payment", status=status)
    payment_id = session.execute(
        insert(Payment).returning(Payment.id),
        {"sales_order_id": order_id, "kind": kind, "payment_method_id": method_id, "amount": amount,
         "external_ref": external_ref},
    ).scalar_one()
    paid = session.execute(
        text("""SELECT coalesce(sum(CASE kind WHEN 'payment' THEN amount ELSE -amount END), 0)
                FROM payments WHERE sales_order_id = :id"""),
        {"id": order_id},
    ).scalar_one()
    if status == SalesOrderStatus.PLACED and paid >= total:
        status = SalesOrderStatus.PAID.value
        session.execute(text("UPDATE sales_orders SET status = 'paid' WHERE id = :id"), {"id": order_id})
    event = "PaymentReceived" if kind == PaymentKind.PAYMENT else "RefundIssued"
    record_events(session, [(event, "sales_order", order_id, {"amount": amount, "method": method})])
    audit(session, actor=actor, action="sales.pay", entity="payments", ids=[payment_id], order_id=order_id)
    return status


def ship_order(
    session: Session, *, order_id: int, carrier: str, actor: str, tracking_no: str | None = None,
    lines: Sequence[LineQty] | None = None,
) -> str:
    """Ship the given lines (default: everything still open); stock leaves the warehouse and the
    reservation is consumed. Returns the order's new status."""
    status, _ = lock_order(session, order_id)
    if status not in SHIPPABLE:
        raise InvalidTransition(f"order {order_id} is {status} and cannot ship", status=status)
    order_lines = _order_lines(session, order_id)
    wanted = {ln: q for ln, (_, _, _, qty, shipped, _) in order_lines.items() if (q := qty - shipped) > 0}
    if lines is not None:
        requested: dict[int, int] = {}
        for item in lines:  # a line listed twice ships the sum of its quantities
            if item.line_no not in order_lines:
                raise InvalidInput(f"order {order_id} has no line {item.line_no}", line_no=item.line_no)
            if item.qty <= 0:
                raise InvalidInput(f"line {item.line_no}: qty must be positive, not {item.qty}", line_no=item.line_no)
            requested[item.line_no] = requested.get(item.line_no, 0) + item.qty
        for line_no, qty in requested.items():
            if qty > wanted.get(line_no, 0):
                raise InvalidInput(f"line {line_no}: can ship 1..{wanted.get(line_no, 0)}, not {qty}", line_no=line_no)
        wanted = requested
    if not wanted:
        raise InvalidTransition(f"order {order_id} has nothing left to ship")
    by_warehouse: dict[int, list[tuple[int, int]]] = {}
    for line_no, qty in wanted.items():
        by_warehouse.setdefault(order_lines[line_no][2], []).append((line_no, qty))
    shipment_ids = []
    for warehouse_id, items in sorted(by_warehouse.items()):
        shipment_id = session.execute(
            insert(Shipment).returning(Shipment.id),
            {"sales_order_id": order_id, "warehouse_id": warehouse_id, "carrier": carrier, "tracking_no": tracking_no},
        ).scalar_one()
        shipment_ids.append(shipment_id)
        for line_no, qty in sorted(items, key=lambda item: order_lines[item[0]][1]):
            line_id, sku_id = order_lines[line_no][0], order_lines[line_no][1]
            post_movement(session, sku_id=sku_id, warehouse_id=warehouse_id, delta=-qty, consume_reserved=qty,
                          reason=StockReason.SHIPMENT, actor=actor, ref=("shipment", shipment_id))
            session.execute(insert(ShipmentLine), {"shipment_id": shipment_id, "sales_order_line_id": line_id,
                                                   "qty": qty})
            session.execute(text("UPDATE sales_order_lines SET qty_shipped = qty_shipped + :q WHERE id = :id"),
                            {"q": qty, "id": line_id})
    done = all(order_lines[ln][3] == order_lines[ln][4] + wanted.get(ln, 0) for ln in order_lines)
    status = (SalesOrderStatus.SHIPPED if done else SalesOrderStatus.PARTIALLY_SHIPPED).value
    session.execute(text("UPDATE sales_orders SET status = :st WHERE id = :id"), {"st": status, "id": order_id})
    record_events(session, [("OrderShipped", "sales_order", order_id,
                             {"shipments": shipment_ids, "lines": wanted, "complete": done})])
    audit(session, actor=actor, action="sales.ship", entity="shipments", ids=shipment_ids, order_id=order_id)
    return status


def receive_return(
    session: Session, *, order_id: int, lines: Sequence[ReturnedLine], actor: str, reason: str | None = None,
) -> str:
    """Take goods back: `restock` puts them into the shipping warehouse's stock, `scrap` writes them off."""
    status, _ = lock_order(session, order_id)
    if status not in RETURNABLE:
        raise InvalidTransition(f"order {order_id} is {status}; only shipped goods can come back", status=status)
    if not lines:
        raise InvalidInput("a return needs at least one line")
    order_lines = _order_lines(session, order_id)
    return_id = session.execute(
        insert(Return).returning(Return.id), {"sales_order_id": order_id, "reason": reason}
    ).scalar_one()
    for item in lines:
        if item.line_no not in order_lines:
            raise InvalidInput(f"order {order_id} has no line {item.line_no}", line_no=item.line_no)
        line_id, sku_id, warehouse_id, _, shipped, returned = order_lines[item.line_no]
        if item.qty <= 0 or item.qty > shipped - returned:
            raise InvalidInput(f"line {item.line_no}: can return 1..{shipped - returned}, not {item.qty}",
                               line_no=item.line_no)
        if item.disposition == ReturnDisposition.RESTOCK:
            post_movement(session, sku_id=sku_id, warehouse_id=warehouse_id, delta=item.qty,
                          reason=StockReason.RETURN_RESTOCK, actor=actor, ref=("return", return_id))
        session.execute(insert(ReturnLine), {"return_id": return_id, "sales_order_line_id": line_id,
                                             "qty": item.qty, "disposition": item.disposition})
        session.execute(text("UPDATE sales_order_lines SET qty_returned = qty_returned + :q WHERE id = :id"),
                        {"q": item.qty, "id": line_id})
        order_lines[item.line_no] = (line_id, sku_id, warehouse_id, order_lines[item.line_no][3], shipped,
                                     returned + item.qty)
    if all(qty == returned for (_, _, _, qty, _, returned) in order_lines.values()):
        status = SalesOrderStatus.RETURNED.value
        session.execute(text("UPDATE sales_orders SET status = 'returned' WHERE id = :id"), {"id": order_id})
    record_events(session, [("ReturnReceived", "sales_order", order_id,
                             {"return_id": return_id, "lines": [[i.line_no, i.qty, i.disposition.value]
                                                                for i in lines]})])
    audit(session, actor=actor, action="sales.return", entity="returns", ids=[return_id], order_id=order_id)
    return status
