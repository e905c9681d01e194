"""Purchase orders from draft to closed, and goods receipts that put stock on hand through the ledger."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue import Sku
from erp_models.errors import Conflict, DomainError, InvalidInput, InvalidTransition, NotFound, OverReceipt
from erp_models.invariants import find_violations
from erp_models.inventory import Warehouse
from erp_models.inventory.services import stock_position
from erp_models.partners import Supplier
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
from tests.integration.builders import a_sku, a_warehouse, ref
from tests.integration.procurement_builders import a_supplier, audit_actions, events_of, ledger_total


@dataclass
class Purchase:
    supplier: Supplier
    warehouse: Warehouse
    dress: Sku
    scarf: Sku
    po: PurchaseOrderView


def a_purchase(session: Session, *, approved: bool = True, dresses: int = 10, scarves: int = 4) -> Purchase:
    supplier, warehouse, dress, scarf = a_supplier(session), a_warehouse(session), a_sku(session), a_sku(session)
    po = create_purchase_order(
        session, supplier=supplier.code, warehouse=warehouse.code, actor="buyer",
        lines=[PurchaseLineInput(dress.code, dresses, 4_500), PurchaseLineInput(scarf.code, scarves, 1_200)],
    )
    if approved:
        po = approve_purchase_order(session, po_id=po.id, actor="manager")
    return Purchase(supplier, warehouse, dress, scarf, po)


def on_hand(session: Session, sku: Sku, warehouse: Warehouse) -> int:
    return stock_position(session, sku=sku.code, warehouse=warehouse.code).on_hand


def test_a_new_purchase_order_is_a_draft_with_a_number_and_its_total(session: Session) -> None:
    purchase = a_purchase(session, approved=False)
    assert purchase.po.status == "draft"
    assert purchase.po.number.startswith("PO-")
    assert purchase.po.total == 10 * 4_500 + 4 * 1_200
    assert purchase.po.supplier == purchase.supplier.code
    assert [(line.line_no, line.sku, line.qty_ordered, line.qty_received) for line in purchase.po.lines] == [
        (1, purchase.dress.code, 10, 0), (2, purchase.scarf.code, 4, 0)]


def test_generated_purchase_order_numbers_do_not_repeat(session: Session) -> None:
    numbers = {a_purchase(session, approved=False).po.number for _ in range(3)}
    assert len(numbers) == 3


def test_a_purchase_order_number_given_twice_is_a_conflict(session: Session) -> None:
    supplier, warehouse, sku, number = a_supplier(session), a_warehouse(session), a_sku(session), ref("PO")
    lines = [PurchaseLineInput(sku.code, 1, 100)]
    create_purchase_order(session, supplier=supplier.code, warehouse=warehouse.code, lines=lines, actor="buyer",
                          number=number)
    with pytest.raises(Conflict):
        create_purchase_order(session, supplier=supplier.code, warehouse=warehouse.code, lines=lines,
                              actor="buyer", number=number)


@pytest.mark.parametrize(
    ("supplier", "warehouse", "sku", "qty", "unit_cost", "error"),
    [
        ("unknown", "ok", "ok", 1, 100, NotFound),
        ("ok", "unknown", "ok", 1, 100, NotFound),
        ("ok", "ok", "unknown", 1, 100, NotFound),
        ("ok", "ok", "ok", 0, 100, InvalidInput),
        ("ok", "ok", "ok", 1, -1, InvalidInput),
    ],
)
def test_a_purchase_order_with_bad_input_is_refused(
    session: Session, supplier: str, warehouse: str, sku: str, qty: int, unit_cost: int, error: type[DomainError],
) -> None:
    codes = {"supplier": a_supplier(session).code, "warehouse": a_warehouse(session).code, "sku": a_sku(session).code}
    pick = {name: codes[name] if value == "ok" else ref("NOPE")
            for name, value in (("supplier", supplier), ("warehouse", warehouse), ("sku", sku))}
    with pytest.raises(error):
        create_purchase_order(session, supplier=pick["supplier"], warehouse=pick["warehouse"], actor="buyer",
                              lines=[PurchaseLineInput(pick["sku"], qty, unit_cost)])


def test_a_purchase_order_needs_lines_and_an_active_supplier(session: Session) -> None:
    warehouse, sku = a_warehouse(session), a_sku(session)
    with pytest.raises(InvalidInput):
        create_purchase_order(session, supplier=a_supplier(session).code, warehouse=warehouse.code, lines=[],
                              actor="buyer")
    with pytest.raises(Conflict, match="inactive"):
        create_purchase_order(session, supplier=a_supplier(session, active=False).code, warehouse=warehouse.code,
                              lines=[PurchaseLineInput(sku.code, 1, 100)], actor="buyer")


def test_a_draft_can_be_approved_only_once(session: Session) -> None:
    purchase = a_purchase(session)
    assert purchase.po.status == "approved"
    with pytest.raises(InvalidTransition):
        approve_purchase_order(session, po_id=purchase.po.id, actor="manager")


def test_partial_then_full_receipt_puts_stock_on_hand_through_the_ledger(session: Session) -> None:
    p = a_purchase(session)
    po = receive_goods(session, po_id=p.po.id, lines=[ReceiptLineInput(1, 6)], actor="clerk")
    assert po.status == "partially_received"
    assert [line.qty_received for line in po.lines] == [6, 0]
    assert on_hand(session, p.dress, p.warehouse) == 6

    po = receive_goods(session, po_id=p.po.id, actor="clerk")
    assert po.status == "received"
    assert [line.qty_received for line in po.lines] == [10, 4]
    assert (on_hand(session, p.dress, p.warehouse), on_hand(session, p.scarf, p.warehouse)) == (10, 4)
    assert ledger_total(session, p.dress.id, p.warehouse.id) == 10
    assert ledger_total(session, p.scarf.id, p.warehouse.id) == 4
    assert find_violations(session) == []


def test_each_receipt_is_a_numbered_document_the_ledger_points_to(session: Session) -> None:
    p = a_purchase(session)
    receive_goods(session, po_id=p.po.id, lines=[ReceiptLineInput(2, 1)], actor="clerk")
    receive_goods(session, po_id=p.po.id, lines=[ReceiptLineInput(2, 3)], actor="clerk")
    receipts = session.execute(
        text("""SELECT r.number, l.qty FROM goods_receipts r JOIN goods_receipt_lines l ON l.goods_receipt_id = r.id
                WHERE r.purchase_order_id = :id ORDER BY r.id"""), {"id": p.po.id},
    ).all()
    assert [qty for _, qty in receipts] == [1, 3]
    assert len({number for number, _ in receipts}) == 2
    refs = session.execute(
        text("""SELECT DISTINCT ref_type, reason FROM stock_ledger WHERE sku_id = :s AND warehouse_id = :w"""),
        {"s": p.scarf.id, "w": p.warehouse.id},
    ).all()
    assert refs == [("goods_receipt", "receipt")]


def test_receiving_more_than_is_open_is_an_over_receipt_and_changes_nothing(session: Session) -> None:
    p = a_purchase(session)
    receive_goods(session, po_id=p.po.id, lines=[ReceiptLineInput(1, 8)], actor="clerk")
    with pytest.raises(OverReceipt):
        receive_goods(session, po_id=p.po.id, lines=[ReceiptLineInput(2, 1), ReceiptLineInput(1, 3)], actor="clerk")
    po = get_purchase_order(session, po_id=p.po.id)
    assert [line.qty_received for line in po.lines] == [8, 0]
    assert po.status == "partially_received"
    assert (on_hand(session, p.dress, p.warehouse), on_hand(session, p.scarf, p.warehouse)) == (8, 0)


@pytest.mark.parametrize("line", [ReceiptLineInput(1, 0), ReceiptLineInput(1, -2), ReceiptLineInput(9, 1)])
def test_a_receipt_line_must_name_an_order_line_and_a_positive_qty(session: Session, line: ReceiptLineInput) -> None:
    p = a_purchase(session)
    with pytest.raises(InvalidInput):
        receive_goods(session, po_id=p.po.id, lines=[line], actor="clerk")


def test_goods_cannot_be_received_against_a_draft(session: Session) -> None:
    p = a_purchase(session, approved=False)
    with pytest.raises(InvalidTransition):
        receive_goods(session, po_id=p.po.id, actor="clerk")
    assert on_hand(session, p.dress, p.warehouse) == 0


def test_closing_a_partly_received_order_stops_further_receipts(session: Session) -> None:
    p = a_purchase(session)
    receive_goods(session, po_id=p.po.id, lines=[ReceiptLineInput(1, 2)], actor="clerk")
    assert close_purchase_order(session, po_id=p.po.id, actor="manager").status == "closed"
    with pytest.raises(InvalidTransition):
        receive_goods(session, po_id=p.po.id, actor="clerk")
    with pytest.raises(InvalidTransition):
        close_purchase_order(session, po_id=p.po.id, actor="manager")


@pytest.mark.parametrize("approved", [False, True])
def test_closing_an_order_that_received_nothing_cancels_it(session: Session, approved: bool) -> None:
    p = a_purchase(session, approved=approved)
    assert close_purchase_order(session, po_id=p.po.id, actor="manager").status == "cancelled"
    with pytest.raises(InvalidTransition):
        approve_purchase_order(session, po_id=p.po.id, actor="manager")


def test_a_fully_received_order_can_be_closed(session: Session) -> None:
    p = a_purchase(session)
    receive_goods(session, po_id=p.po.id, actor="clerk")
    assert close_purchase_order(session, po_id=p.po.id, actor="manager").status == "closed"


def test_every_step_leaves_an_event_and_an_audit_row(session: Session) -> None:
    p = a_purchase(session)
    receive_goods(session, po_id=p.po.id, lines=[ReceiptLineInput(1, 10)], actor="clerk")
    close_purchase_order(session, po_id=p.po.id, actor="manager")
    events = events_of(session, "purchase_order", p.po.id)
    assert [event for event, _ in events] == [
        "PurchaseOrderCreated", "PurchaseOrderApproved", "GoodsReceived", "PurchaseOrderClosed"]
    received = events[2][1]
    assert received["lines"] == [{"line_no": 1, "sku": p.dress.code, "qty": 10}]
    assert audit_actions(session, "purchase_orders", p.po.id) == [
        "procurement.create", "procurement.approve", "procurement.close"]
    assert audit_actions(session, "goods_receipts", received["receipt_id"]) == ["procurement.receive"]


def test_a_cancelled_order_says_so_in_its_events(session: Session) -> None:
    p = a_purchase(session, approved=False)
    close_purchase_order(session, po_id=p.po.id, actor="manager")
    assert events_of(session, "purchase_order", p.po.id)[-1][0] == "PurchaseOrderCancelled"


def test_an_unknown_purchase_order_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        get_purchase_order(session, po_id=2**40)
    with pytest.raises(NotFound):
        receive_goods(session, po_id=2**40, actor="clerk")
