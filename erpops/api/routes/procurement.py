"""Purchase orders: create, approve, receive goods (partially or fully), close; and reorder planning."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from erp_models.enums import PurchaseOrderStatus
from erp_models.inventory.reorder import set_reorder_rule, suggest_reorders
from erp_models.procurement.services import (
    PurchaseLineInput,
    PurchaseOrderView,
    ReceiptLineInput,
    approve_purchase_order,
    close_purchase_order,
    create_purchase_order,
    get_purchase_order,
    receive_goods,
)
from erp_models.queries import list_purchase_orders
from erp_models.security.services import Principal
from erpops.api.deps import Db, require
from erpops.api.schemas import Limit, Offset, PageOut, PurchaseOrderIn, ReceiptIn, ReorderRuleIn

router = APIRouter(tags=["procurement"])
Reader = Annotated[Principal, Depends(require("procurement.read"))]
Creator = Annotated[Principal, Depends(require("procurement.create"))]
Approver = Annotated[Principal, Depends(require("procurement.approve"))]
Receiver = Annotated[Principal, Depends(require("procurement.receive"))]
Closer = Annotated[Principal, Depends(require("procurement.close"))]
Planner = Annotated[Principal, Depends(require("inventory.plan"))]
PoId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def out(view: PurchaseOrderView) -> dict[str, Any]:
    return asdict(view)


@router.post("/purchase-orders", status_code=201)
def create(body: PurchaseOrderIn, db: Db, who: Creator) -> dict[str, Any]:
    """Draft a purchase order."""
    lines = [PurchaseLineInput(line.sku, line.qty, line.unit_cost) for line in body.lines]
    return out(db.write(lambda s: create_purchase_order(s, supplier=body.supplier, warehouse=body.warehouse,
                                                        lines=lines, expected_on=body.expected_on,
                                                        number=body.number, actor=who.username)))


@router.get("/purchase-orders", response_model=PageOut)
def list_(db: Db, _: Reader, status: PurchaseOrderStatus | None = None, supplier: str | None = None,
          limit: Limit = 50, offset: Offset = 0) -> PageOut:
    """Purchase orders, newest first, filtered by status or supplier, paginated."""
    page = db.read(lambda s: list_purchase_orders(s, status=status.value if status else None, supplier=supplier,
                                                  limit=limit, offset=offset))
    return PageOut.of(page)


@router.get("/purchase-orders/{po_id}")
def read(po_id: PoId, db: Db, _: Reader) -> dict[str, Any]:
    """One purchase order with its lines and what has been received."""
    return out(db.read(lambda s: get_purchase_order(s, po_id=po_id)))


@router.post("/purchase-orders/{po_id}/approve")
def approve(po_id: PoId, db: Db, who: Approver) -> dict[str, Any]:
    """Approve a draft purchase order, so goods can be received against it."""
    return out(db.write(lambda s: approve_purchase_order(s, po_id=po_id, actor=who.username)))


@router.post("/purchase-orders/{po_id}/receipts", status_code=201)
def receive(po_id: PoId, body: ReceiptIn, db: Db, who: Receiver) -> dict[str, Any]:
    """Receive goods: the given lines, or everything still open; stock and ledger follow."""
    lines = [ReceiptLineInput(item.line_no, item.qty) for item in body.lines] if body.lines is not None else None
    return out(db.write(lambda s: receive_goods(s, po_id=po_id, lines=lines, actor=who.username)))


@router.post("/purchase-orders/{po_id}/close")
def close(po_id: PoId, db: Db, who: Closer) -> dict[str, Any]:
    """Close a (partly) received order, or cancel one that received nothing."""
    return out(db.write(lambda s: close_purchase_order(s, po_id=po_id, actor=who.username)))


@router.put("/reorder-rules", status_code=204)
def put_rule(body: ReorderRuleIn, db: Db, who: Planner) -> None:
    """Keep a SKU in a warehouse between a minimum and a maximum, with a lead time."""
    db.write(lambda s: set_reorder_rule(s, actor=who.username, **body.model_dump()))


@router.get("/reorder-suggestions")
def suggestions(db: Db, _: Planner, warehouse: str | None = None) -> list[dict[str, Any]]:
    """SKUs below their reorder point, with a proposed quantity and supplier."""
    return [asdict(s) for s in db.read(lambda s: suggest_reorders(s, warehouse=warehouse))]
