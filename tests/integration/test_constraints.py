"""The database itself rejects data that would break the ERP's invariants."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from erp_models.enums import StockReason
from erp_models.inventory import StockLedgerEntry, StockLevel
from erp_models.sales import SalesOrderLine
from tests.integration.builders import a_sku, a_warehouse, an_order, stock_of


def violated_constraint(session: Session, exc: DBAPIError) -> str:
    session.rollback()
    return str(exc.orig.diag.constraint_name)


def test_on_hand_cannot_go_negative(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    session.add(StockLevel(sku_id=sku.id, warehouse_id=warehouse.id, on_hand=-1))
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    assert violated_constraint(session, caught.value) == "ck_stock_levels_on_hand_nonnegative"


def test_reserved_cannot_exceed_on_hand(session: Session) -> None:
    level = stock_of(session, a_sku(session), a_warehouse(session), on_hand=5, reserved=5)
    level.reserved = 6
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    assert violated_constraint(session, caught.value) == "ck_stock_levels_reserved_within_on_hand"


def test_a_channel_order_is_unique_on_channel_and_external_id(session: Session) -> None:
    sku = a_sku(session)
    first = an_order(session, sku)
    with pytest.raises(IntegrityError) as caught:
        an_order(session, sku, external_id=first.external_id)
    assert violated_constraint(session, caught.value) == "uq_sales_orders_channel_id_external_id"


def test_an_order_line_needs_an_existing_order(session: Session) -> None:
    sku = a_sku(session)
    session.add(SalesOrderLine(sales_order_id=2**40, line_no=1, sku_id=sku.id, qty=1, unit_price=100))
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    assert violated_constraint(session, caught.value) == "fk_sales_order_lines_sales_order_id_sales_orders"


def test_order_line_quantity_must_be_positive(session: Session) -> None:
    order = an_order(session, a_sku(session))
    session.execute(text("UPDATE sales_order_lines SET qty = 1 WHERE sales_order_id = :id"), {"id": order.id})
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE sales_order_lines SET qty = 0 WHERE sales_order_id = :id"), {"id": order.id})


@pytest.mark.parametrize("statement", ["UPDATE stock_ledger SET qty_delta = 99", "DELETE FROM stock_ledger"])
def test_the_stock_ledger_is_append_only(session: Session, statement: str) -> None:
    stock_of(session, a_sku(session), a_warehouse(session), on_hand=3)
    with pytest.raises(DBAPIError, match="stock_ledger is append-only"):
        session.execute(text(statement))


def test_ledger_maintenance_may_delete_only_when_switched_on_in_its_transaction(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    session.add(StockLedgerEntry(sku_id=sku.id, warehouse_id=warehouse.id, qty_delta=2, reason=StockReason.OPENING))
    session.flush()
    session.execute(text("SET LOCAL erpops.ledger_maintenance = 'on'"))
    deleted = session.execute(text("DELETE FROM stock_ledger WHERE sku_id = :s"), {"s": sku.id})
    assert deleted.rowcount == 1  # type: ignore[attr-defined]


def test_money_is_kept_in_minor_units_with_a_currency(session: Session) -> None:
    sku = a_sku(session, price_fen=12_999)
    row = session.execute(text("SELECT list_price, currency FROM skus WHERE id = :id"), {"id": sku.id}).one()
    assert tuple(row) == (12_999, "CNY")
