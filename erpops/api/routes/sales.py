"""Sales orders: place (idempotent per channel order), read, list, cancel, pay, ship and return."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from erp_models.enums import SalesOrderStatus
from erp_models.queries import get_order, list_orders
from erp_models.sales.fulfilment import LineQty, ReturnedLine, receive_return, record_payment, ship_order
from erp_models.sales.ordering import OrderLineInput, cancel_order, place_order
from erp_models.security.services import Principal
from erpops.api.deps import Db, require
from erpops.api.routes.channels import ship_to_of
from erpops.api.schemas import (
    Limit,
    Offset,
    OrderOut,
    OrderRef,
    PageOut,
    PaymentIn,
    PlaceOrderIn,
    ReturnIn,
    ShipmentIn,
    StatusOut,
)

router = APIRouter(prefix="/sales-orders", tags=["sales"])
OrderId = Annotated[int, Path(ge=1, le=2**63 - 1)]

Placer = Annotated[Principal, Depends(require("sales.place_order"))]
Reader = Annotated[Principal, Depends(require("sales.read"))]
Canceller = Annotated[Principal, Depends(require("sales.cancel"))]
Payer = Annotated[Principal, Depends(require("sales.pay"))]
Shipper = Annotated[Principal, Depends(require("sales.ship"))]
Returner = Annotated[Principal, Depends(require("sales.return"))]


@router.post("", status_code=201, response_model=OrderRef,
             responses={200: {"model": OrderRef, "description": "A replay of (channel, external_id)"},
                        409: {"description": "Insufficient stock; nothing was reserved"}})
def place(body: PlaceOrderIn, response: Response, db: Db, who: Placer) -> OrderRef:
    """Place an order and reserve all of its lines, or none; its total is the lines plus the freight."""
    lines = [OrderLineInput(line.sku, line.qty, line.unit_price) for line in body.lines]
    placed = db.write(lambda s: place_order(s, channel=body.channel, external_id=body.external_id,
                                            customer_ref=body.customer_ref, lines=lines, actor=who.username,
                                            freight=body.freight, ship_to=ship_to_of(body.ship_to)))
    if not placed.created:
        response.status_code = 200
    return OrderRef(id=placed.id, status=placed.status)


@router.get("/{order_id}", response_model=OrderOut)
def read(order_id: OrderId, db: Db, _: Reader) -> OrderOut:
    """One order with its lines (and where each is reserved), its freight, shipping address, payments and shipments."""
    return OrderOut.model_validate(db.read(lambda s: get_order(s, order_id=order_id)))


@router.get("", response_model=PageOut)
def list_(db: Db, _: Reader, channel: str | None = None, status: SalesOrderStatus | None = None,
          customer_ref: str | None = None, limit: Limit = 50, offset: Offset = 0) -> PageOut:
    """Orders, newest first, filtered by channel, status or customer."""
    page = db.read(lambda s: list_orders(s, channel=channel, status=status.value if status else None,
                                         customer_ref=customer_ref, limit=limit, offset=offset))
    return PageOut.of(page)


@router.post("/{order_id}/cancel", response_model=OrderRef)
def cancel(order_id: OrderId, db: Db, who: Canceller) -> OrderRef:
    """Cancel an unshipped order; its reservations are released."""
    done = db.write(lambda s: cancel_order(s, order_id=order_id, actor=who.username))
    return OrderRef(id=done.id, status=done.status)


@router.post("/{order_id}/payments", response_model=StatusOut, status_code=201)
def pay(order_id: OrderId, body: PaymentIn, db: Db, who: Payer) -> StatusOut:
    """Record a payment or refund (minor units); a fully paid order moves from placed to paid."""
    status = db.write(lambda s: record_payment(s, order_id=order_id, amount=body.amount, method=body.method,
                                               kind=body.kind, external_ref=body.external_ref, actor=who.username))
    return StatusOut(status=status)


@router.post("/{order_id}/shipments", response_model=StatusOut, status_code=201)
def ship(order_id: OrderId, body: ShipmentIn, db: Db, who: Shipper) -> StatusOut:
    """Ship some lines (or all that is open); the reservation is consumed and stock leaves the warehouse."""
    lines = [LineQty(item.line_no, item.qty) for item in body.lines] if body.lines is not None else None
    status = db.write(lambda s: ship_order(s, order_id=order_id, carrier=body.carrier,
                                           tracking_no=body.tracking_no, lines=lines, actor=who.username))
    return StatusOut(status=status)


@router.post("/{order_id}/returns", response_model=StatusOut, status_code=201)
def return_(order_id: OrderId, body: ReturnIn, db: Db, who: Returner) -> StatusOut:
    """Take shipped goods back, to restock or to scrap."""
    lines = [ReturnedLine(item.line_no, item.qty, item.disposition) for item in body.lines]
    status = db.write(lambda s: receive_return(s, order_id=order_id, lines=lines, reason=body.reason,
                                               actor=who.username))
    return StatusOut(status=status)
