"""`db check`'s invariant checks find violations injected behind the constraints' backs."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.enums import OrderOrigin
from erp_models.invariants import find_violations
from erp_models.sales import SalesOrder, SalesOrderLine, Shipment, ShipmentLine
from tests.integration.builders import a_sku, a_warehouse, an_order, channel, stock_of


def found(session: Session) -> dict[str, int]:
    return {v.check: v.count for v in find_violations(session)}


def drop(session: Session, table: str, constraint: str) -> None:
    """Inside the test's rolled-back transaction only."""
    session.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}"))


def test_a_consistent_database_has_no_violations(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    stock_of(session, sku, warehouse, on_hand=10, reserved=2)
    an_order(session, sku)
    assert found(session) == {}


def test_on_hand_that_the_ledger_does_not_explain_is_reported(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    level = stock_of(session, sku, warehouse, on_hand=10)
    level.on_hand = 12
    session.flush()
    violations = {v.check: v for v in find_violations(session)}
    assert violations["ledger_mismatch"].count == 1
    assert violations["ledger_mismatch"].samples[0]["ledger_total"] == 10


def test_negative_and_over_reserved_stock_are_reported(session: Session) -> None:
    drop(session, "stock_levels", "ck_stock_levels_on_hand_nonnegative")
    drop(session, "stock_levels", "ck_stock_levels_reserved_within_on_hand")
    sku = a_sku(session)
    stock_of(session, sku, a_warehouse(session), on_hand=0)
    session.execute(text("UPDATE stock_levels SET on_hand = -3 WHERE sku_id = :s"), {"s": sku.id})
    other = a_sku(session)
    stock_of(session, other, a_warehouse(session), on_hand=4)
    session.execute(text("UPDATE stock_levels SET reserved = 9 WHERE sku_id = :s"), {"s": other.id})
    checks = found(session)
    assert checks["negative_stock"] == 1
    assert checks["over_reserved"] == 2  # the negative row reserves 0 > -3, the other 9 > 4


def test_a_duplicate_channel_order_is_reported(session: Session) -> None:
    drop(session, "sales_orders", "uq_sales_orders_channel_id_external_id")
    sku = a_sku(session)
    first = an_order(session, sku)
    an_order(session, sku, external_id=first.external_id)
    assert found(session) == {"duplicate_channel_order": 1}


def test_an_orphan_order_line_and_an_order_without_lines_are_reported(session: Session) -> None:
    drop(session, "sales_order_lines", "fk_sales_order_lines_sales_order_id_sales_orders")
    sku = a_sku(session)
    session.add(SalesOrderLine(sales_order_id=2**40, line_no=1, sku_id=sku.id, qty=1, unit_price=100))
    session.add(SalesOrder(channel_id=channel(session).id, external_id="EMPTY-1"))
    session.flush()
    assert found(session) == {"orphan:sales_order_lines.sales_order_id": 1, "order_without_lines": 1}


def test_a_disabled_ledger_trigger_is_reported(session: Session) -> None:
    session.execute(text("ALTER TABLE stock_ledger DISABLE TRIGGER stock_ledger_append_only"))
    assert found(session) == {"ledger_not_append_only": 1}


def test_an_erp_order_whose_total_is_not_its_lines_plus_freight_is_reported(session: Session) -> None:
    sku = a_sku(session)
    right = an_order(session, sku, qty=2)  # 2 × 9900
    right.freight, right.total = 800, 2 * 9900 + 800
    wrong = an_order(session, sku, qty=1)
    wrong.freight = 500  # the total forgot it
    session.flush()
    [violation] = find_violations(session)
    assert (violation.check, violation.count) == ("order_total_mismatch", 1)
    sample = violation.samples[0]
    assert (sample["id"], sample["total"], sample["freight"], int(sample["lines_total"])) == (wrong.id, 9900, 500, 9900)


def test_a_migrated_order_keeps_its_legacy_total_even_when_lines_were_quarantined(session: Session) -> None:
    sku = a_sku(session)
    migrated = an_order(session, sku, qty=1)
    migrated.origin, migrated.total = OrderOrigin.MIGRATION, 3 * 9900  # two lines were quarantined
    session.flush()
    assert found(session) == {}


def test_a_shipment_with_lines_but_no_warehouse_is_reported(session: Session) -> None:
    sku = a_sku(session)
    order = an_order(session, sku)
    history = Shipment(sales_order_id=order.id, warehouse_id=None, carrier="顺丰")  # migrated: fine
    shipped = Shipment(sales_order_id=order.id, warehouse_id=None, carrier="中通")
    session.add_all([history, shipped])
    session.flush()
    line_id = session.scalar(text("SELECT id FROM sales_order_lines WHERE sales_order_id = :o"), {"o": order.id})
    session.add(ShipmentLine(shipment_id=shipped.id, sales_order_line_id=line_id, qty=1))
    session.flush()
    assert found(session) == {"shipped_lines_without_warehouse": 1}
