"""Stock adjustments, transfers, reservations and cycle counts: every change explained by the ledger and recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue import Sku
from erp_models.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from erp_models.invariants import find_violations
from erp_models.inventory import Warehouse
from erp_models.inventory.services import (
    StockPosition,
    adjust_stock,
    count_stock,
    reserve_stock,
    stock_of_sku,
    stock_position,
    transfer_stock,
)
from tests.integration.builders import a_sku, a_warehouse, ref, stock_of
from tests.integration.procurement_builders import events_of, ledger_total


def position(session: Session, sku: Sku, warehouse: Warehouse) -> tuple[int, int]:
    found = stock_position(session, sku=sku.code, warehouse=warehouse.code)
    return found.on_hand, found.reserved


def ledger(session: Session, sku: Sku, warehouse: Warehouse) -> list[tuple[int, str, str | None]]:
    """(qty_delta, reason, note) of one stock row's ledger entries after the opening balance, oldest first."""
    rows = session.execute(
        text("""SELECT qty_delta, reason, note FROM stock_ledger
                WHERE sku_id = :s AND warehouse_id = :w AND reason <> 'opening' ORDER BY id"""),
        {"s": sku.id, "w": warehouse.id},
    )
    return [(int(delta), str(reason), note) for delta, reason, note in rows]


def audit_by(session: Session, actor: str) -> list[tuple[str, str, list[Any]]]:
    """(action, entity, entity_ids) of everything `actor` did, oldest first."""
    rows = session.execute(
        text("SELECT action, entity, entity_ids FROM audit_log WHERE actor = :a ORDER BY id"), {"a": actor}
    )
    return [(str(action), str(entity), list(ids)) for action, entity, ids in rows]


def stocked(session: Session, on_hand: int, reserved: int = 0) -> tuple[Sku, Warehouse]:
    sku, warehouse = a_sku(session), a_warehouse(session)
    stock_of(session, sku, warehouse, on_hand=on_hand, reserved=reserved)
    return sku, warehouse


def test_adjusting_stock_up_and_down_changes_on_hand_through_the_ledger(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10)
    up = adjust_stock(session, sku=sku.code, warehouse=warehouse.code, delta=5, reason="found behind a rack",
                      actor="clerk")
    down = adjust_stock(session, sku=sku.code, warehouse=warehouse.code, delta=-3, reason="water damage",
                        actor="clerk")
    assert (up.on_hand, down.on_hand, down.available) == (15, 12, 12)
    assert ledger(session, sku, warehouse) == [
        (5, "adjustment", "found behind a rack"), (-3, "adjustment", "water damage")]
    assert find_violations(session) == []


def test_an_adjustment_leaves_an_event_and_an_audit_row_naming_the_actor(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10)
    actor = ref("clerk")
    adjust_stock(session, sku=sku.code, warehouse=warehouse.code, delta=-2, reason="damaged", actor=actor)
    assert events_of(session, "sku", sku.id) == [
        ("StockAdjusted", {"sku": sku.code, "warehouse": warehouse.code, "delta": -2, "reason": "damaged"})]
    assert audit_by(session, actor) == [("inventory.adjust", "stock_levels", [sku.id, warehouse.id])]


def test_stock_can_be_adjusted_into_a_warehouse_that_never_held_the_sku(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    adjust_stock(session, sku=sku.code, warehouse=warehouse.code, delta=4, reason="found", actor="clerk")
    assert position(session, sku, warehouse) == (4, 0)
    assert find_violations(session) == []


def test_an_adjustment_below_the_reserved_stock_is_refused_and_changes_nothing(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10, reserved=8)
    with pytest.raises(InsufficientStock):
        adjust_stock(session, sku=sku.code, warehouse=warehouse.code, delta=-3, reason="damaged", actor="clerk")
    assert position(session, sku, warehouse) == (10, 8)
    assert ledger_total(session, sku.id, warehouse.id) == 10
    assert events_of(session, "sku", sku.id) == []


@pytest.mark.parametrize(("delta", "reason"), [(0, "nothing happened"), (3, ""), (3, "   ")])
def test_an_adjustment_needs_a_change_and_a_reason(session: Session, delta: int, reason: str) -> None:
    sku, warehouse = stocked(session, on_hand=10)
    with pytest.raises(InvalidInput):
        adjust_stock(session, sku=sku.code, warehouse=warehouse.code, delta=delta, reason=reason, actor="clerk")
    assert position(session, sku, warehouse) == (10, 0)


def test_adjusting_an_unknown_sku_or_warehouse_is_not_found(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10)
    with pytest.raises(NotFound):
        adjust_stock(session, sku=ref("NOPE"), warehouse=warehouse.code, delta=1, reason="found", actor="clerk")
    with pytest.raises(NotFound):
        adjust_stock(session, sku=sku.code, warehouse=ref("NOPE"), delta=1, reason="found", actor="clerk")


def test_a_transfer_moves_stock_with_a_ledger_entry_on_each_side(session: Session) -> None:
    sku, source = stocked(session, on_hand=10, reserved=2)
    target, actor = a_warehouse(session), ref("clerk")
    moved = transfer_stock(session, sku=sku.code, from_warehouse=source.code, to_warehouse=target.code, qty=8,
                           actor=actor)
    assert moved == [StockPosition(sku.code, source.code, 2, 2), StockPosition(sku.code, target.code, 8, 0)]
    assert [entry[:2] for entry in ledger(session, sku, source)] == [(-8, "transfer_out")]
    assert [entry[:2] for entry in ledger(session, sku, target)] == [(8, "transfer_in")]
    assert events_of(session, "sku", sku.id) == [
        ("StockTransferred", {"sku": sku.code, "source": source.code, "target": target.code, "qty": 8})]
    assert audit_by(session, actor) == [("inventory.transfer", "stock_levels", [sku.id, source.id, target.id])]
    assert find_violations(session) == []


def test_a_transfer_needs_two_different_warehouses_and_a_positive_quantity(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10)
    with pytest.raises(Conflict, match="two different warehouses"):
        transfer_stock(session, sku=sku.code, from_warehouse=warehouse.code, to_warehouse=warehouse.code, qty=1,
                       actor="clerk")
    with pytest.raises(InvalidInput):
        transfer_stock(session, sku=sku.code, from_warehouse=warehouse.code, to_warehouse=a_warehouse(session).code,
                       qty=0, actor="clerk")
    assert position(session, sku, warehouse) == (10, 0)


@pytest.mark.parametrize("target_first", [True, False], ids=["target-locked-first", "source-locked-first"])
def test_a_transfer_of_more_than_the_unreserved_stock_is_refused_and_undone(
    session: Session, target_first: bool
) -> None:
    # Rows are locked in warehouse order, so the target may already be credited when the source refuses.
    target = a_warehouse(session) if target_first else None
    sku, source = stocked(session, on_hand=10, reserved=7)
    target = target or a_warehouse(session)
    with pytest.raises(InsufficientStock), session.begin_nested():
        transfer_stock(session, sku=sku.code, from_warehouse=source.code, to_warehouse=target.code, qty=4,
                       actor="clerk")
    assert stock_of_sku(session, sku=sku.code) == [StockPosition(sku.code, source.code, 10, 7)]
    assert find_violations(session) == []


def test_stock_can_be_reserved_and_released_outside_an_order(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10)
    actor = ref("promo")
    reserved = reserve_stock(session, sku=sku.code, warehouse=warehouse.code, qty=4, actor=actor)
    released = reserve_stock(session, sku=sku.code, warehouse=warehouse.code, qty=-3, actor=actor)
    assert (reserved.available, released.reserved, released.available) == (6, 1, 9)
    assert events_of(session, "sku", sku.id) == [
        ("StockReserved", {"sku": sku.code, "warehouse": warehouse.code, "qty": 4}),
        ("StockReleased", {"sku": sku.code, "warehouse": warehouse.code, "qty": 3})]
    assert [action for action, _, _ in audit_by(session, actor)] == ["inventory.reserve", "inventory.reserve"]
    assert find_violations(session) == []


@pytest.mark.parametrize(("qty", "error"), [(7, InsufficientStock), (-5, InsufficientStock), (0, InvalidInput)],
                         ids=["more-than-available", "more-than-reserved", "zero"])
def test_a_reservation_beyond_the_stock_is_refused_and_changes_nothing(
    session: Session, qty: int, error: type[Exception]
) -> None:
    sku, warehouse = stocked(session, on_hand=10, reserved=2)
    reserve_stock(session, sku=sku.code, warehouse=warehouse.code, qty=2, actor="promo")
    with pytest.raises(error):
        reserve_stock(session, sku=sku.code, warehouse=warehouse.code, qty=qty, actor="promo")
    assert position(session, sku, warehouse) == (10, 4)


@pytest.mark.parametrize(("counted", "difference"), [(7, -3), (12, 2)])
def test_a_cycle_count_posts_the_difference_to_the_ledger(session: Session, counted: int, difference: int) -> None:
    sku, warehouse = stocked(session, on_hand=10, reserved=4)
    actor = ref("counter")
    after = count_stock(session, sku=sku.code, warehouse=warehouse.code, counted=counted, actor=actor)
    assert (after.on_hand, after.reserved) == (counted, 4)
    assert ledger(session, sku, warehouse) == [(difference, "count", f"cycle count: 10 -> {counted}")]
    assert events_of(session, "sku", sku.id) == [
        ("StockCounted", {"sku": sku.code, "warehouse": warehouse.code, "counted": counted,
                          "difference": difference})]
    assert [action for action, _, _ in audit_by(session, actor)] == ["inventory.count"]
    assert find_violations(session) == []


def test_a_count_that_matches_the_books_posts_nothing_but_is_still_recorded(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10)
    count_stock(session, sku=sku.code, warehouse=warehouse.code, counted=10, actor="counter")
    assert ledger(session, sku, warehouse) == []
    assert [event for event, _ in events_of(session, "sku", sku.id)] == ["StockCounted"]


def test_counting_a_sku_in_a_new_warehouse_puts_the_counted_stock_on_hand(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    count_stock(session, sku=sku.code, warehouse=warehouse.code, counted=6, actor="counter")
    assert position(session, sku, warehouse) == (6, 0)
    assert find_violations(session) == []


def test_a_count_below_the_reserved_stock_is_refused(session: Session) -> None:
    sku, warehouse = stocked(session, on_hand=10, reserved=5)
    with pytest.raises(InsufficientStock, match="5 are reserved"):
        count_stock(session, sku=sku.code, warehouse=warehouse.code, counted=4, actor="counter")
    with pytest.raises(InvalidInput):
        count_stock(session, sku=sku.code, warehouse=warehouse.code, counted=-1, actor="counter")
    assert position(session, sku, warehouse) == (10, 5)
    assert ledger(session, sku, warehouse) == []


def test_the_stock_of_a_sku_lists_every_warehouse_that_holds_it(session: Session) -> None:
    sku, first = stocked(session, on_hand=10, reserved=3)
    second = a_warehouse(session)
    stock_of(session, sku, second, on_hand=4)
    expected = sorted([StockPosition(sku.code, first.code, 10, 3), StockPosition(sku.code, second.code, 4, 0)],
                      key=lambda p: p.warehouse)
    assert stock_of_sku(session, sku=sku.code) == expected
    assert stock_of_sku(session, sku=a_sku(session).code) == []
    with pytest.raises(NotFound):
        stock_of_sku(session, sku=ref("NOPE"))
