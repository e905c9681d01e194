"""Sales orders from placement to return: reservations, cancellation, payment, shipment and restocking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue import Sku
from erp_models.enums import PaymentKind, ReturnDisposition
from erp_models.errors import InsufficientStock, InvalidInput, InvalidTransition, NotFound
from erp_models.invariants import find_violations
from erp_models.inventory import Warehouse
from erp_models.inventory.services import adjust_stock, stock_position
from erp_models.sales.fulfilment import LineQty, ReturnedLine, receive_return, record_payment, ship_order
from erp_models.sales.ordering import OrderLineInput, PlacedOrder, cancel_order, place_order
from tests.integration.builders import a_sku, a_warehouse, ref, stock_of
from tests.integration.procurement_builders import events_of, ledger_total

PRICE = 9_900


@dataclass
class Shop:
    """One warehouse holding dresses and scarves."""

    warehouse: Warehouse
    dress: Sku
    scarf: Sku


def a_shop(session: Session, *, dresses: int = 10, scarves: int = 5) -> Shop:
    shop = Shop(a_warehouse(session), a_sku(session), a_sku(session))
    stock_of(session, shop.dress, shop.warehouse, on_hand=dresses)
    stock_of(session, shop.scarf, shop.warehouse, on_hand=scarves)
    return shop


def place(
    session: Session, lines: Sequence[tuple[Sku | str, int]], *, external_id: str | None = None,
    channel: str = "tmall",
) -> PlacedOrder:
    return place_order(
        session, channel=channel, external_id=external_id or ref("TM"), customer_ref=ref("BUYER"), actor="sales",
        lines=[OrderLineInput(sku if isinstance(sku, str) else sku.code, qty, PRICE) for sku, qty in lines],
    )


def stock(session: Session, sku: Sku, warehouse: Warehouse) -> tuple[int, int]:
    """(on_hand, reserved)."""
    found = stock_position(session, sku=sku.code, warehouse=warehouse.code)
    return found.on_hand, found.reserved


def status_of(session: Session, order_id: int) -> str:
    return str(session.execute(text("SELECT status FROM sales_orders WHERE id = :id"), {"id": order_id}).scalar_one())


def event_types(session: Session, order_id: int) -> list[str]:
    return [event for event, _ in events_of(session, "sales_order", order_id)]


def audit_trail(session: Session, order_id: int) -> list[str]:
    """Audit actions on an order, whether the row touched was the order itself or a shipment, payment or return."""
    return list(session.scalars(
        text("""SELECT action FROM audit_log WHERE (entity = 'sales_orders' AND entity_ids @> CAST(:ids AS jsonb))
                OR (detail ->> 'order_id')::bigint = :id ORDER BY id"""),
        {"ids": f"[{order_id}]", "id": order_id},
    ))


def orders_with(session: Session, external_id: str) -> int:
    return int(session.execute(text("SELECT count(*) FROM sales_orders WHERE external_id = :e"),
                               {"e": external_id}).scalar_one())


def test_placing_an_order_reserves_every_line(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3), (shop.scarf, 2)])
    assert (order.status, order.created) == ("placed", True)
    assert stock(session, shop.dress, shop.warehouse) == (10, 3)
    assert stock(session, shop.scarf, shop.warehouse) == (5, 2)
    total = session.execute(text("SELECT total FROM sales_orders WHERE id = :id"), {"id": order.id}).scalar_one()
    assert total == 5 * PRICE
    assert event_types(session, order.id) == ["OrderPlaced", "StockReserved", "StockReserved"]
    assert audit_trail(session, order.id) == ["sales.place_order"]
    assert find_violations(session) == []


def test_an_order_reserves_in_the_warehouse_with_the_most_available_stock(session: Session) -> None:
    sku, busy, quiet = a_sku(session), a_warehouse(session), a_warehouse(session)
    stock_of(session, sku, busy, on_hand=20, reserved=15)
    stock_of(session, sku, quiet, on_hand=8)
    place(session, [(sku, 4)])
    assert (stock(session, sku, busy), stock(session, sku, quiet)) == ((20, 15), (8, 4))


def test_an_order_short_of_stock_on_one_line_reserves_nothing(session: Session) -> None:
    shop, external_id = a_shop(session, dresses=10, scarves=1), ref("TM")
    shop.scarf.code = ref("ZSKU")  # sorts after the dress by id and by code: the dress is reserved when it fails
    session.flush()
    with pytest.raises(InsufficientStock, match=shop.scarf.code), session.begin_nested():
        place(session, [(shop.dress, 2), (shop.scarf, 5)], external_id=external_id)
    assert stock(session, shop.dress, shop.warehouse) == (10, 0)
    assert stock(session, shop.scarf, shop.warehouse) == (1, 0)
    assert orders_with(session, external_id) == 0
    adjust_stock(session, sku=shop.scarf.code, warehouse=shop.warehouse.code, delta=4, reason="late delivery",
                 actor="clerk")
    assert place(session, [(shop.dress, 2), (shop.scarf, 5)], external_id=external_id).created


def test_a_replayed_channel_order_returns_the_first_order_and_reserves_nothing_more(session: Session) -> None:
    shop, external_id = a_shop(session), ref("TM")
    first = place(session, [(shop.dress, 3)], external_id=external_id)
    replay = place(session, [(shop.dress, 3), (shop.scarf, 1)], external_id=external_id)
    assert (replay.id, replay.created) == (first.id, False)
    assert stock(session, shop.dress, shop.warehouse) == (10, 3)
    assert stock(session, shop.scarf, shop.warehouse) == (5, 0)
    assert orders_with(session, external_id) == 1
    assert event_types(session, first.id) == ["OrderPlaced", "StockReserved"]


def test_the_same_external_id_on_another_channel_is_another_order(session: Session) -> None:
    shop, external_id = a_shop(session), ref("ORDER")
    tmall = place(session, [(shop.dress, 1)], external_id=external_id, channel="tmall")
    jd = place(session, [(shop.dress, 1)], external_id=external_id, channel="jd")
    assert jd.created and jd.id != tmall.id
    assert stock(session, shop.dress, shop.warehouse) == (10, 2)


def test_an_order_for_an_unknown_or_inactive_sku_is_refused(session: Session) -> None:
    shop = a_shop(session)
    shop.scarf.active = False
    session.flush()
    for missing in (ref("NOPE"), shop.scarf.code):
        with pytest.raises(NotFound, match=missing), session.begin_nested():
            place(session, [(shop.dress, 1), (missing, 1)])
    assert stock(session, shop.dress, shop.warehouse) == (10, 0)


def test_an_order_from_an_unknown_channel_is_refused(session: Session) -> None:
    shop = a_shop(session)
    with pytest.raises(NotFound, match="unknown channel 'ebay'"):
        place(session, [(shop.dress, 1)], channel="ebay")
    assert stock(session, shop.dress, shop.warehouse) == (10, 0)


def test_cancelling_an_order_releases_its_reservations_once(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3), (shop.scarf, 2)])
    assert cancel_order(session, order_id=order.id, actor="sales").status == "cancelled"
    assert (stock(session, shop.dress, shop.warehouse), stock(session, shop.scarf, shop.warehouse)) == (
        (10, 0), (5, 0))
    assert status_of(session, order.id) == "cancelled"
    assert event_types(session, order.id)[-1] == "OrderCancelled"
    assert audit_trail(session, order.id) == ["sales.place_order", "sales.cancel"]
    with pytest.raises(InvalidTransition):
        cancel_order(session, order_id=order.id, actor="sales")
    assert stock(session, shop.dress, shop.warehouse) == (10, 0)
    assert find_violations(session) == []


def test_shipping_a_whole_order_takes_the_goods_out_of_stock(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3), (shop.scarf, 2)])
    assert ship_order(session, order_id=order.id, carrier="顺丰", tracking_no=ref("SF"), actor="clerk") == "shipped"
    assert stock(session, shop.dress, shop.warehouse) == (7, 0)
    assert stock(session, shop.scarf, shop.warehouse) == (3, 0)
    assert ledger_total(session, shop.dress.id, shop.warehouse.id) == 7
    assert status_of(session, order.id) == "shipped"
    assert event_types(session, order.id)[-1] == "OrderShipped"
    assert audit_trail(session, order.id) == ["sales.place_order", "sales.ship"]
    with pytest.raises(InvalidTransition):
        ship_order(session, order_id=order.id, carrier="顺丰", actor="clerk")
    assert find_violations(session) == []


def test_an_order_can_ship_in_parts(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3), (shop.scarf, 2)])
    first = ship_order(session, order_id=order.id, carrier="中通", actor="clerk", lines=[LineQty(1, 1)])
    assert (first, status_of(session, order.id)) == ("partially_shipped", "partially_shipped")
    assert stock(session, shop.dress, shop.warehouse) == (9, 2)
    assert stock(session, shop.scarf, shop.warehouse) == (5, 2)
    assert ship_order(session, order_id=order.id, carrier="中通", actor="clerk") == "shipped"
    assert (stock(session, shop.dress, shop.warehouse), stock(session, shop.scarf, shop.warehouse)) == (
        (7, 0), (3, 0))
    assert find_violations(session) == []


@pytest.mark.parametrize("line", [LineQty(1, 4), LineQty(1, 0), LineQty(9, 1)], ids=["too-many", "zero", "no-line"])
def test_shipping_more_than_is_open_is_refused(session: Session, line: LineQty) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3)])
    with pytest.raises(InvalidInput):
        ship_order(session, order_id=order.id, carrier="顺丰", actor="clerk", lines=[line])
    assert stock(session, shop.dress, shop.warehouse) == (10, 3)


def test_the_same_line_listed_twice_cannot_ship_more_than_was_ordered(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3)])
    with pytest.raises(InvalidInput), session.begin_nested():
        ship_order(session, order_id=order.id, carrier="顺丰", actor="clerk", lines=[LineQty(1, 2), LineQty(1, 2)])


def test_a_cancelled_order_cannot_ship(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3)])
    cancel_order(session, order_id=order.id, actor="sales")
    with pytest.raises(InvalidTransition):
        ship_order(session, order_id=order.id, carrier="顺丰", actor="clerk")
    assert stock(session, shop.dress, shop.warehouse) == (10, 0)


def shipped_order(session: Session, shop: Shop, dresses: int = 3) -> PlacedOrder:
    order = place(session, [(shop.dress, dresses)])
    ship_order(session, order_id=order.id, carrier="顺丰", actor="clerk")
    return order


def test_restocked_returns_go_back_on_hand_and_scrapped_ones_do_not(session: Session) -> None:
    shop = a_shop(session)
    order = shipped_order(session, shop, dresses=3)
    status = receive_return(session, order_id=order.id, actor="clerk", reason="wrong size",
                            lines=[ReturnedLine(1, 2, ReturnDisposition.RESTOCK)])
    assert (status, stock(session, shop.dress, shop.warehouse)) == ("shipped", (9, 0))
    restocks = session.execute(
        text("SELECT qty_delta FROM stock_ledger WHERE sku_id = :s AND reason = 'return_restock'"),
        {"s": shop.dress.id},
    ).scalars().all()
    assert restocks == [2]
    status = receive_return(session, order_id=order.id, actor="clerk", reason="torn",
                            lines=[ReturnedLine(1, 1, ReturnDisposition.SCRAP)])
    assert (status, stock(session, shop.dress, shop.warehouse)) == ("returned", (9, 0))
    assert event_types(session, order.id)[-2:] == ["ReturnReceived", "ReturnReceived"]
    assert audit_trail(session, order.id)[-2:] == ["sales.return", "sales.return"]
    assert find_violations(session) == []


def test_more_cannot_come_back_than_was_shipped(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3)])
    ship_order(session, order_id=order.id, carrier="顺丰", actor="clerk", lines=[LineQty(1, 1)])
    with pytest.raises(InvalidInput, match="can return 1..1, not 2"), session.begin_nested():
        receive_return(session, order_id=order.id, actor="clerk",
                       lines=[ReturnedLine(1, 2, ReturnDisposition.RESTOCK)])
    assert stock(session, shop.dress, shop.warehouse) == (9, 2)
    assert find_violations(session) == []


def test_goods_that_never_shipped_cannot_come_back(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 3)])
    with pytest.raises(InvalidTransition):
        receive_return(session, order_id=order.id, actor="clerk",
                       lines=[ReturnedLine(1, 1, ReturnDisposition.RESTOCK)])


def test_an_order_becomes_paid_once_the_payments_cover_its_total(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 2)])
    pay = {"session": session, "order_id": order.id, "method": "alipay", "actor": "cashier"}
    assert record_payment(**pay, amount=PRICE) == "placed"
    assert record_payment(**pay, amount=PRICE) == "paid"
    assert record_payment(**pay, amount=500, kind=PaymentKind.REFUND) == "paid"
    assert event_types(session, order.id)[-3:] == ["PaymentReceived", "PaymentReceived", "RefundIssued"]
    assert status_of(session, order.id) == "paid"
    assert audit_trail(session, order.id) == ["sales.place_order"] + ["sales.pay"] * 3


def test_a_cancelled_order_takes_refunds_but_no_payments(session: Session) -> None:
    shop = a_shop(session)
    order = place(session, [(shop.dress, 1)])
    cancel_order(session, order_id=order.id, actor="sales")
    pay = {"session": session, "order_id": order.id, "method": "wechat_pay", "actor": "cashier"}
    with pytest.raises(InvalidTransition):
        record_payment(**pay, amount=PRICE)
    assert record_payment(**pay, amount=PRICE, kind=PaymentKind.REFUND) == "cancelled"
    with pytest.raises(InvalidInput):
        record_payment(**pay, amount=0, kind=PaymentKind.REFUND)
