"""The cutover smoke test's data: prepared through the domain services, retired so nothing of it can be sold."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.cutover.smoke_data import SALES, WAREHOUSE, SmokeFixture, cleanup, new_tag, prepare
from erp_models.errors import NotFound, Unauthenticated
from erp_models.invariants import find_violations
from erp_models.inventory.services import stock_position
from erp_models.sales.fulfilment import record_payment, ship_order
from erp_models.sales.ordering import OrderLineInput, place_order
from erp_models.security.services import authenticate


@pytest.fixture
def fixture(session: Session) -> SmokeFixture:
    return prepare(session, tag=new_tag(), stock=10)


def _order(session: Session, fx: SmokeFixture, n: int, qty: int) -> int:
    return place_order(session, channel=fx.channel, external_id=f"{fx.tag}-{n}", customer_ref=fx.customer_ref,
                       lines=[OrderLineInput(fx.sku, qty, fx.unit_price)], actor="tests").id


def test_the_smoke_sku_is_stocked_through_the_ledger_and_both_tokens_work(
        session: Session, fixture: SmokeFixture) -> None:
    assert fixture.tag.startswith("SMOKE-") and fixture.sku.startswith(f"{fixture.tag}-")
    assert stock_position(session, sku=fixture.sku, warehouse=fixture.warehouse).on_hand == 10
    assert find_violations(session) == []
    assert "sales.pay" in authenticate(session, fixture.tokens[SALES]).permissions
    assert "sales.ship" in authenticate(session, fixture.tokens[WAREHOUSE]).permissions


def test_a_smoke_sku_with_no_stock_has_no_stock(session: Session) -> None:
    fx = prepare(session, tag=new_tag(), stock=0)
    assert stock_position(session, sku=fx.sku, warehouse=fx.warehouse).on_hand == 0


def test_cleanup_leaves_nothing_sellable_nothing_reserved_and_every_invariant_holding(
        session: Session, fixture: SmokeFixture) -> None:
    shipped = _order(session, fixture, 1, qty=2)
    record_payment(session, order_id=shipped, amount=2 * fixture.unit_price, method="alipay", actor="tests")
    ship_order(session, order_id=shipped, carrier="smoke", actor="tests")
    left_open = _order(session, fixture, 2, qty=3)  # a smoke run that failed before cancelling it

    done = cleanup(session, tag=fixture.tag)

    assert (done.orders_cancelled, done.stock_written_off) == (1, 8)
    retired = done.retired
    assert (retired.skus_deactivated, retired.warehouses_deactivated, retired.tokens_revoked) == (1, 1, 2)
    assert stock_position(session, sku=fixture.sku, warehouse=fixture.warehouse).on_hand == 0
    status = session.execute(text("SELECT status FROM sales_orders WHERE id = :id"), {"id": left_open}).scalar_one()
    assert status == "cancelled"
    assert find_violations(session) == []
    with pytest.raises(NotFound, match="inactive SKU"):
        _order(session, fixture, 3, qty=1)
    with pytest.raises(Unauthenticated):
        authenticate(session, fixture.tokens[SALES])
    assert cleanup(session, tag=fixture.tag).retired.skus_deactivated == 0  # a second cleanup changes nothing
