"""Procurement services: purchase orders from draft to closed, and goods receipts that put stock on hand.

Every state change locks the purchase order row first, so two receipts for one order queue instead of
both seeing the same open quantity. Callers commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from erp_models.enums import PurchaseOrderStatus, StockReason
from erp_models.errors import Conflict, InvalidInput, InvalidTransition, NotFound, OverReceipt
from erp_models.integration.outbox import record_events
from erp_models.inventory.services import post_movement, warehouse_id_of
from erp_models.procurement.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrderLine
from erp_models.security.audit import audit

RECEIVABLE = {PurchaseOrderStatus.APPROVED, PurchaseOrderStatus.PARTIALLY_RECEIVED}
CLOSABLE = {PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.PARTIALLY_RECEIVED}
CANCELLABLE = {PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.APPROVED}


@dataclass(frozen=True)
class PurchaseLineInput:
    sku: str
    qty: int
    unit_cost: int  # minor units (fen)


@dataclass(frozen=True)
class ReceiptLineInput:
    line_no: int
    qty: int


@dataclass(frozen=True)
class PurchaseOrderLineView:
    line_no: int
    sku: str
    qty_ordered: int
    qty_received: int
    unit_cost: int


@dataclass(frozen=True)
class PurchaseOrderView:
    id: int
    number: str
    supplier: str
    warehouse: str
    status: str
    currency: str
    total: int
    lines: list[PurchaseOrderLineView]


def _new_number(prefix: str) -> str:
    # Random, not a sequence (no schema change); the unique constraint turns a collision into an error.
    return f"{prefix}-{date.today():%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"


def _validate_lines(lines: Sequence[PurchaseLineInput]) -> None:
    if not lines:
        raise InvalidInput("a purchase order needs at least one line")
    for n, line in enumerate(lines, start=1):
        if line.qty <= 0:
            raise InvalidInput(f"line {n}: qty must be positive, got {line.qty}", line=n)
        if line.unit_cost < 0:
            raise InvalidInput(f"line {n}: unit_cost must not be negative", line=n)


def _supplier_id(session: Session, code: str) -> int:
    row = session.execute(text("SELECT id, active FROM suppliers WHERE code = :c"), {"c": code}).one_or_none()
    if row is None:
        raise NotFound(f"no supplier with code {code!r}", supplier=code)
    if not row[1]:
        raise Conflict(f"supplier {code!r} is inactive", supplier=code)
    return int(row[0])


def _sku_ids(session: Session, codes: set[str]) -> dict[str, int]:
    found = session.execute(
        text("SELECT code, id FROM skus WHERE code = ANY(:codes) AND active"), {"codes": sorted(codes)}
    )
    sku_ids = {str(code): int(sku_id) for code, sku_id in found}
    unknown = sorted(codes - set(sku_ids))
    if unknown:
        raise NotFound(f"unknown or inactive SKU {unknown[0]!r}", skus=unknown)
    return sku_ids


def _lock(session: Session, po_id: int) -> tuple[str, int]:
    """Lock a purchase order for a state change; returns (status, warehouse id)."""
    row = session.execute(
        text("SELECT status, warehouse_id FROM purchase_orders WHERE id = :id FOR UPDATE"), {"id": po_id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no purchase order {po_id}", po_id=po_id)
    return str(row[0]), int(row[1])


def _set_status(session: Session, po_id: int, status: PurchaseOrderStatus) -> None:
    session.execute(text("UPDATE purchase_orders SET status = :st WHERE id = :id"), {"st": status.value, "id": po_id})


def create_purchase_order(
    session: Session, *, supplier: str, warehouse: str, lines: Sequence[PurchaseLineInput], actor: str,
    expected_on: date | None = None, number: str | None = None, currency: str = "CNY", origin: str | None = None,
) -> PurchaseOrderView:
    """Draft a purchase order; its number is generated unless given, and must be unique. `origin` names what
    drafted it when not a person (e.g. "analysis")."""
    _validate_lines(lines)
    if number is not None and not number.strip():
        raise InvalidInput("a purchase order number must not be empty")
    supplier_id, warehouse_id = _supplier_id(session, supplier), warehouse_id_of(session, warehouse)
    sku_ids = _sku_ids(session, {line.sku for line in lines})
    number = number or _new_number("PO")
    total = sum(line.qty * line.unit_cost for line in lines)
    po_id = session.execute(
        text(
            """INSERT INTO purchase_orders (number, supplier_id, warehouse_id, currency, expected_on, total, origin)
               VALUES (:n, :s, :w, :cur, :exp, :total, :origin) ON CONFLICT (number) DO NOTHING RETURNING id"""
        ),
        {"n": number, "s": supplier_id, "w": warehouse_id, "cur": currency, "exp": expected_on, "total": total,
         "origin": origin},
    ).scalar_one_or_none()
    if po_id is None:
        raise Conflict(f"purchase order number {number!r} is already taken", number=number)
    session.execute(
        insert(PurchaseOrderLine),
        [{"purchase_order_id": po_id, "line_no": n, "sku_id": sku_ids[line.sku], "qty_ordered": line.qty,
          "unit_cost": line.unit_cost} for n, line in enumerate(lines, start=1)],
    )
    record_events(session, [("PurchaseOrderCreated", "purchase_order", po_id,
                              {"number": number, "supplier": supplier, "warehouse": warehouse, "total": total,
                               "lines": [[line.sku, line.qty, line.unit_cost] for line in lines]})])
    audit(session, actor=actor, action="procurement.create", entity="purchase_orders", ids=[po_id], number=number)
    return get_purchase_order(session, po_id=po_id)


def revise_draft(
    session: Session, *, po_id: int, lines: Sequence[PurchaseLineInput], actor: str, expected_on: date | None = None,
) -> PurchaseOrderView:
    """Replace the lines (and expected date) of a draft; an approved order is a promise and is never revised."""
    _validate_lines(lines)
    status, _ = _lock(session, po_id)
    if status != PurchaseOrderStatus.DRAFT:
        raise InvalidTransition(f"purchase order {po_id} is {status}; only a draft can be revised", status=status)
    sku_ids = _sku_ids(session, {line.sku for line in lines})
    total = sum(line.qty * line.unit_cost for line in lines)
    session.execute(text("DELETE FROM purchase_order_lines WHERE purchase_order_id = :id"), {"id": po_id})
    session.execute(
        insert(PurchaseOrderLine),
        [{"purchase_order_id": po_id, "line_no": n, "sku_id": sku_ids[line.sku], "qty_ordered": line.qty,
          "unit_cost": line.unit_cost} for n, line in enumerate(lines, start=1)],
    )
    session.execute(text("UPDATE purchase_orders SET total = :total, expected_on = :exp WHERE id = :id"),
                    {"total": total, "exp": expected_on, "id": po_id})
    record_events(session, [("PurchaseOrderRevised", "purchase_order", po_id,
                             {"total": total, "lines": [[line.sku, line.qty, line.unit_cost] for line in lines]})])
    audit(session, actor=actor, action="procurement.revise", entity="purchase_orders", ids=[po_id], total=total)
    return get_purchase_order(session, po_id=po_id)


def approve_purchase_order(session: Session, *, po_id: int, actor: str) -> PurchaseOrderView:
    """Approve a draft: it is now an order to the supplier and its goods can be received."""
    status, _ = _lock(session, po_id)
    if status != PurchaseOrderStatus.DRAFT:
        raise InvalidTransition(f"purchase order {po_id} is {status}; only a draft can be approved", status=status)
    session.execute(text("UPDATE purchase_orders SET status = 'approved', approved_at = now() WHERE id = :id"),
                    {"id": po_id})
    record_events(session, [("PurchaseOrderApproved", "purchase_order", po_id, {})])
    audit(session, actor=actor, action="procurement.approve", entity="purchase_orders", ids=[po_id])
    return get_purchase_order(session, po_id=po_id)


def _receipt_quantities(
    po_id: int, open_qty: dict[int, int], lines: Sequence[ReceiptLineInput] | None
) -> dict[int, int]:
    """line_no -> qty to receive, checked against what is still open."""
    if lines is None:
        wanted = {line_no: qty for line_no, qty in open_qty.items() if qty > 0}
        if not wanted:
            raise InvalidTransition(f"purchase order {po_id} has nothing left to receive")
        return wanted
    if not lines:
        raise InvalidInput("a goods receipt needs at least one line")
    wanted = {}
    for item in lines:
        if item.line_no not in open_qty:
            raise InvalidInput(f"purchase order {po_id} has no line {item.line_no}", line_no=item.line_no)
        if item.line_no in wanted:
            raise InvalidInput(f"line {item.line_no} appears twice in the receipt", line_no=item.line_no)
        if item.qty <= 0:
            raise InvalidInput(f"line {item.line_no}: qty must be positive, got {item.qty}", line_no=item.line_no)
        if item.qty > open_qty[item.line_no]:
            raise OverReceipt(f"line {item.line_no}: only {open_qty[item.line_no]} still open, not {item.qty}",
                              line_no=item.line_no, open=open_qty[item.line_no], qty=item.qty)
        wanted[item.line_no] = item.qty
    return wanted


def receive_goods(
    session: Session, *, po_id: int, actor: str, lines: Sequence[ReceiptLineInput] | None = None,
) -> PurchaseOrderView:
    """Receive the given lines (default: everything still open) into the order's warehouse."""
    status, warehouse_id = _lock(session, po_id)
    if status not in RECEIVABLE:
        raise InvalidTransition(f"purchase order {po_id} is {status} and cannot receive goods", status=status)
    po_lines: dict[int, tuple[int, int, str, int, int]] = {row[0]: tuple(row[1:]) for row in session.execute(
        text("""SELECT l.line_no, l.id, l.sku_id, k.code, l.qty_ordered, l.qty_received
                FROM purchase_order_lines l JOIN skus k ON k.id = l.sku_id WHERE l.purchase_order_id = :id"""),
        {"id": po_id},
    )}
    wanted = _receipt_quantities(po_id, {n: line[3] - line[4] for n, line in po_lines.items()}, lines)
    receipt_number = _new_number("GR")
    receipt_id = session.execute(
        insert(GoodsReceipt).returning(GoodsReceipt.id),
        {"number": receipt_number, "purchase_order_id": po_id, "warehouse_id": warehouse_id},
    ).scalar_one()
    # Post in SKU order, like every other stock writer, so concurrent movements cannot deadlock.
    for line_no, qty in sorted(wanted.items(), key=lambda item: (po_lines[item[0]][1], item[0])):
        line_id, sku_id = po_lines[line_no][0], po_lines[line_no][1]
        session.execute(insert(GoodsReceiptLine),
                        {"goods_receipt_id": receipt_id, "purchase_order_line_id": line_id, "sku_id": sku_id,
                         "qty": qty})
        session.execute(text("UPDATE purchase_order_lines SET qty_received = qty_received + :q WHERE id = :id"),
                        {"q": qty, "id": line_id})
        post_movement(session, sku_id=sku_id, warehouse_id=warehouse_id, delta=qty, reason=StockReason.RECEIPT,
                      actor=actor, ref=("goods_receipt", receipt_id))
    done = all(ordered == received + wanted.get(n, 0) for n, (_, _, _, ordered, received) in po_lines.items())
    _set_status(session, po_id, PurchaseOrderStatus.RECEIVED if done else PurchaseOrderStatus.PARTIALLY_RECEIVED)
    record_events(session, [("GoodsReceived", "purchase_order", po_id,
                             {"receipt_id": receipt_id, "number": receipt_number, "complete": done,
                              "lines": [{"line_no": n, "sku": po_lines[n][2], "qty": q}
                                        for n, q in sorted(wanted.items())]})])
    audit(session, actor=actor, action="procurement.receive", entity="goods_receipts", ids=[receipt_id],
          po_id=po_id, lines={str(n): q for n, q in sorted(wanted.items())})
    return get_purchase_order(session, po_id=po_id)


def close_purchase_order(session: Session, *, po_id: int, actor: str) -> PurchaseOrderView:
    """Close an order that received goods (the rest is not coming), or cancel one that received none."""
    status, _ = _lock(session, po_id)
    received = session.execute(
        text("SELECT coalesce(sum(qty_received), 0) FROM purchase_order_lines WHERE purchase_order_id = :id"),
        {"id": po_id},
    ).scalar_one()
    if status in CLOSABLE:
        new_status, event, action = PurchaseOrderStatus.CLOSED, "PurchaseOrderClosed", "procurement.close"
    elif status in CANCELLABLE and received == 0:
        new_status, event, action = PurchaseOrderStatus.CANCELLED, "PurchaseOrderCancelled", "procurement.cancel"
    else:
        raise InvalidTransition(f"purchase order {po_id} is {status} and cannot be closed", status=status)
    _set_status(session, po_id, new_status)
    record_events(session, [(event, "purchase_order", po_id, {"previous_status": status})])
    audit(session, actor=actor, action=action, entity="purchase_orders", ids=[po_id], previous_status=status)
    return get_purchase_order(session, po_id=po_id)


def get_purchase_order(session: Session, *, po_id: int) -> PurchaseOrderView:
    head = session.execute(
        text("""SELECT p.number, s.code, w.code, p.status, p.currency, p.total FROM purchase_orders p
                JOIN suppliers s ON s.id = p.supplier_id JOIN warehouses w ON w.id = p.warehouse_id
                WHERE p.id = :id"""),
        {"id": po_id},
    ).one_or_none()
    if head is None:
        raise NotFound(f"no purchase order {po_id}", po_id=po_id)
    lines = session.execute(
        text("""SELECT l.line_no, k.code, l.qty_ordered, l.qty_received, l.unit_cost FROM purchase_order_lines l
                JOIN skus k ON k.id = l.sku_id WHERE l.purchase_order_id = :id ORDER BY l.line_no"""),
        {"id": po_id},
    )
    number, supplier, warehouse, status, currency, total = head
    return PurchaseOrderView(po_id, number, supplier, warehouse, status, currency, total,
                             [PurchaseOrderLineView(*line) for line in lines])
