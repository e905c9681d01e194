"""Reorder rules suggest what to buy when stock runs low, and the suggestions become draft purchase orders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue import Sku
from erp_models.errors import Conflict, InvalidInput, NotFound
from erp_models.inventory import Warehouse
from erp_models.inventory.reorder import (
    ReorderSuggestion,
    draft_purchase_orders_from_suggestions,
    set_reorder_rule,
    suggest_reorders,
)
from erp_models.procurement.services import (
    PurchaseLineInput,
    ReceiptLineInput,
    approve_purchase_order,
    create_purchase_order,
    receive_goods,
)
from tests.integration.builders import a_sku, a_warehouse, ref, stock_of
from tests.integration.procurement_builders import a_supplier, audit_actions, events_of


def bought(session: Session, sku: Sku, warehouse: Warehouse, *, qty: int, unit_cost: int = 4_500,
           received: int = 0, approved: bool = True) -> str:
    """A purchase order for `sku` from a new supplier; returns the supplier's code."""
    supplier = a_supplier(session).code
    po = create_purchase_order(session, supplier=supplier, warehouse=warehouse.code, actor="buyer",
                               lines=[PurchaseLineInput(sku.code, qty, unit_cost)])
    if approved:
        approve_purchase_order(session, po_id=po.id, actor="manager")
    if received:
        receive_goods(session, po_id=po.id, lines=[ReceiptLineInput(1, received)], actor="clerk")
    return supplier


def a_low_sku(session: Session, warehouse: Warehouse, *, on_hand: int = 3, reserved: int = 1) -> Sku:
    """A SKU with a rule of 10..50 in `warehouse` and (on_hand - reserved) available."""
    sku = a_sku(session)
    stock_of(session, sku, warehouse, on_hand=on_hand, reserved=reserved)
    set_reorder_rule(session, sku=sku.code, warehouse=warehouse.code, min_qty=10, max_qty=50, lead_time_days=5,
                     actor="planner")
    return sku


def test_a_sku_below_its_minimum_is_topped_up_to_its_maximum_from_its_last_supplier(session: Session) -> None:
    warehouse = a_warehouse(session)
    sku = a_low_sku(session, warehouse)
    bought(session, sku, warehouse, qty=5, unit_cost=4_000, approved=False)
    supplier = bought(session, sku, warehouse, qty=5, unit_cost=4_200, approved=False)
    assert suggest_reorders(session, warehouse=warehouse.code) == [
        ReorderSuggestion(sku=sku.code, warehouse=warehouse.code, available=2, on_order=0, min_qty=10, max_qty=50,
                          lead_time_days=5, suggested_qty=48, supplier=supplier, unit_cost=4_200)]


def test_stock_already_on_order_counts_towards_the_minimum(session: Session) -> None:
    warehouse = a_warehouse(session)
    covered, short = a_low_sku(session, warehouse), a_low_sku(session, warehouse)
    bought(session, covered, warehouse, qty=12, received=2)  # available 2 + 2 received, 10 still owed
    bought(session, short, warehouse, qty=5)
    [suggestion] = suggest_reorders(session, warehouse=warehouse.code)
    assert (suggestion.sku, suggestion.available, suggestion.on_order) == (short.code, 2, 5)
    assert suggestion.suggested_qty == 50 - 2 - 5


def test_a_draft_purchase_order_is_not_stock_on_order(session: Session) -> None:
    warehouse = a_warehouse(session)
    sku = a_low_sku(session, warehouse)
    bought(session, sku, warehouse, qty=40, approved=False)
    assert [s.on_order for s in suggest_reorders(session, warehouse=warehouse.code)] == [0]


def test_stock_at_its_minimum_needs_no_reorder(session: Session) -> None:
    warehouse = a_warehouse(session)
    a_low_sku(session, warehouse, on_hand=10, reserved=0)
    assert suggest_reorders(session, warehouse=warehouse.code) == []


def test_a_sku_never_bought_is_suggested_without_a_supplier(session: Session) -> None:
    warehouse = a_warehouse(session)
    sku = a_low_sku(session, warehouse, on_hand=0, reserved=0)
    [suggestion] = suggest_reorders(session, warehouse=warehouse.code)
    assert (suggestion.sku, suggestion.supplier, suggestion.unit_cost, suggestion.suggested_qty) == (
        sku.code, None, None, 50)
    assert draft_purchase_orders_from_suggestions(session, suggestions=[suggestion], actor="planner") == []


def test_suggestions_are_sorted_by_warehouse_then_sku(session: Session) -> None:
    warehouses = [a_warehouse(session) for _ in range(2)]
    skus = [a_low_sku(session, wh) for wh in warehouses for _ in range(2)]
    mine = {sku.code for sku in skus}
    keys = [(s.warehouse, s.sku) for s in suggest_reorders(session) if s.sku in mine]
    assert keys == sorted(keys) and len(keys) == 4


def test_suggestions_become_one_draft_per_supplier_and_warehouse(session: Session) -> None:
    north, south = a_warehouse(session), a_warehouse(session)
    dress, scarf, coat = a_low_sku(session, north), a_low_sku(session, north), a_low_sku(session, south)
    silk = bought(session, dress, north, qty=1, unit_cost=4_500, approved=False)
    create_purchase_order(session, supplier=silk, warehouse=north.code, actor="buyer",
                          lines=[PurchaseLineInput(scarf.code, 1, 1_200), PurchaseLineInput(coat.code, 1, 9_000)])
    suggestions = suggest_reorders(session, warehouse=north.code) + suggest_reorders(session, warehouse=south.code)
    drafts = draft_purchase_orders_from_suggestions(session, suggestions=suggestions, actor="planner")
    assert sorted((po.warehouse, po.supplier, po.status) for po in drafts) == sorted(
        [(north.code, silk, "draft"), (south.code, silk, "draft")])
    by_warehouse = {po.warehouse: po for po in drafts}
    assert sorted((line.sku, line.qty_ordered, line.unit_cost) for line in by_warehouse[north.code].lines) == sorted(
        [(dress.code, 48, 4_500), (scarf.code, 48, 1_200)])
    assert [(line.sku, line.qty_ordered) for line in by_warehouse[south.code].lines] == [(coat.code, 48)]
    assert by_warehouse[south.code].total == 48 * 9_000


def test_drafted_orders_expect_delivery_after_the_longest_lead_time(session: Session) -> None:
    warehouse = a_warehouse(session)
    sku = a_low_sku(session, warehouse)
    bought(session, sku, warehouse, qty=1, approved=False)
    [po] = draft_purchase_orders_from_suggestions(
        session, suggestions=suggest_reorders(session, warehouse=warehouse.code), actor="planner")
    expected = session.execute(text("SELECT expected_on FROM purchase_orders WHERE id = :id"),
                               {"id": po.id}).scalar_one()
    assert expected == date.today() + timedelta(days=5)


def test_setting_a_rule_again_replaces_it_and_is_audited(session: Session) -> None:
    warehouse = a_warehouse(session)
    sku = a_low_sku(session, warehouse)
    set_reorder_rule(session, sku=sku.code, warehouse=warehouse.code, min_qty=1, max_qty=2, lead_time_days=0,
                     actor="planner")
    assert suggest_reorders(session, warehouse=warehouse.code) == []
    rule_id = session.execute(
        text("SELECT id FROM reorder_rules WHERE sku_id = :s AND warehouse_id = :w"), {"s": sku.id, "w": warehouse.id}
    ).scalar_one()
    assert [event for event, _ in events_of(session, "reorder_rule", rule_id)] == ["ReorderRuleSet"] * 2
    assert audit_actions(session, "reorder_rules", rule_id) == ["inventory.set_reorder_rule"] * 2


@pytest.mark.parametrize(("min_qty", "max_qty", "lead", "error"), [(5, 4, 1, Conflict), (-1, 4, 1, InvalidInput),
                                                                  (1, 4, -1, InvalidInput)])
def test_a_rule_must_have_sensible_bounds(session: Session, min_qty: int, max_qty: int, lead: int,
                                          error: type[Exception]) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    with pytest.raises(error):
        set_reorder_rule(session, sku=sku.code, warehouse=warehouse.code, min_qty=min_qty, max_qty=max_qty,
                         lead_time_days=lead, actor="planner")


def test_rules_and_suggestions_need_a_known_warehouse(session: Session) -> None:
    with pytest.raises(NotFound):
        set_reorder_rule(session, sku=a_sku(session).code, warehouse=ref("WH"), min_qty=1, max_qty=2,
                         lead_time_days=1, actor="planner")
    with pytest.raises(NotFound):
        suggest_reorders(session, warehouse=ref("WH"))
