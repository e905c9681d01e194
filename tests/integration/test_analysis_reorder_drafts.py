"""The analysis measures demand from the ERP's orders and keeps one draft purchase order per supplier: only for
SKUs below their reorder point, never over a rule's max, revised (never duplicated) by the next run."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue import Sku
from erp_models.inventory import Warehouse
from erp_models.inventory.reorder import set_reorder_rule
from erp_models.ops.analysis_service import BusinessAnalysis, analyse
from erp_models.ops.analysis_spec import AnalysisSpec
from erp_models.ops.reorder_drafts import DraftsOutcome, sync_drafts
from erp_models.procurement.services import (
    PurchaseLineInput,
    approve_purchase_order,
    create_purchase_order,
    get_purchase_order,
)
from erp_models.sales import SalesOrder, SalesOrderLine
from tests.integration.builders import a_sku, a_warehouse, channel, ref, stock_of
from tests.integration.procurement_builders import a_supplier

AS_OF = date(2001, 3, 10)  # a window no other test places orders in
SPEC = AnalysisSpec(days=10)
TODAY = date(2001, 3, 11)


def sold_daily(session: Session, sku: Sku, qty: int, *, days: int = 10) -> None:
    """One order of `qty` units a day over the window."""
    for n in range(days):
        day = AS_OF - timedelta(days=n)
        order = SalesOrder(channel_id=channel(session).id, external_id=ref("TM"), total=qty * 1000,
                           ordered_at=datetime.combine(day, time(12), ZoneInfo("Asia/Shanghai")))
        session.add(order)
        session.flush()
        session.add(SalesOrderLine(sales_order_id=order.id, line_no=1, sku_id=sku.id, qty=qty, unit_price=1000))
    session.flush()


class Shop:
    def __init__(self, session: Session) -> None:
        self.warehouse: Warehouse = a_warehouse(session)
        self.supplier = a_supplier(session).code
        self.low, self.high, self.capped = a_sku(session), a_sku(session), a_sku(session)
        stock_of(session, self.low, self.warehouse, on_hand=10)
        stock_of(session, self.high, self.warehouse, on_hand=1000)
        stock_of(session, self.capped, self.warehouse, on_hand=20)
        for sku in (self.low, self.high, self.capped):
            sold_daily(session, sku, 10)  # d̄ = 10, σ_d = 0
        for sku, max_qty in ((self.low, 1000), (self.capped, 60)):
            set_reorder_rule(session, sku=sku.code, warehouse=self.warehouse.code, min_qty=0, max_qty=max_qty,
                             lead_time_days=5, actor="planner")  # ROP = 10 · 5 = 50
        # A person's draft names the supplier and the cost; the analysis must leave it alone.
        self.manual = create_purchase_order(
            session, supplier=self.supplier, warehouse=self.warehouse.code, actor="buyer",
            lines=[PurchaseLineInput(s.code, 1, 700) for s in (self.low, self.high, self.capped)])


def run(session: Session) -> tuple[BusinessAnalysis, DraftsOutcome]:
    measured = analyse(session, spec=SPEC, as_of=AS_OF)
    return measured, sync_drafts(session, proposals=measured.proposals, actor="analysis", today=TODAY)


def mine(outcome: DraftsOutcome, shop: Shop) -> list[tuple[str, str, list[tuple[str, int, int]]]]:
    return [(d.number, d.action, d.lines) for d in outcome.drafts if d.supplier == shop.supplier]


@pytest.fixture
def shop(session: Session) -> Shop:
    return Shop(session)


def test_only_skus_below_their_reorder_point_are_drafted_and_never_over_the_max(session: Session, shop: Shop) -> None:
    measured, outcome = run(session)
    rops = {p.sku: p.rop for p in measured.proposals}
    assert rops[shop.low.code] == pytest.approx(50) and rops[shop.high.code] == pytest.approx(70)  # no rule: L = 7
    [(_, action, lines)] = mine(outcome, shop)
    # low: up to its max of 1000 from 10; capped: up to its max of 60 from 20; high (1000 on hand) is above its ROP
    assert (action, lines) == ("created", sorted([(shop.capped.code, 40, 700), (shop.low.code, 990, 700)]))


def test_a_second_run_changes_nothing_and_a_third_revises_the_same_draft(session: Session, shop: Shop) -> None:
    _, first = run(session)
    [(number, _, _)] = mine(first, shop)
    _, second = run(session)
    assert mine(second, shop) == [(number, "unchanged",
                                   sorted([(shop.capped.code, 40, 700), (shop.low.code, 990, 700)]))]
    session.execute(text("UPDATE stock_levels SET on_hand = 30 WHERE sku_id = :s"), {"s": shop.low.id})
    _, third = run(session)
    assert mine(third, shop) == [(number, "revised",
                                  sorted([(shop.capped.code, 40, 700), (shop.low.code, 970, 700)]))]
    drafts = session.execute(text("""SELECT count(*) FROM purchase_orders p JOIN suppliers s ON s.id = p.supplier_id
                                     WHERE s.code = :s AND p.origin = 'analysis'"""), {"s": shop.supplier}).scalar()
    assert drafts == 1
    manual = get_purchase_order(session, po_id=shop.manual.id)
    assert (manual.status, [line.qty_ordered for line in manual.lines]) == ("draft", [1, 1, 1])


def test_an_approved_draft_is_left_alone_and_counts_as_on_order(session: Session, shop: Shop) -> None:
    _, first = run(session)
    approved = next(d for d in first.drafts if d.supplier == shop.supplier)
    approve_purchase_order(session, po_id=approved.id, actor="purchaser")
    measured, second = run(session)
    assert mine(second, shop) == []  # what is on order lifts both positions over their ROP
    assert {p.sku: p.qty for p in measured.proposals if p.supplier == shop.supplier} == {
        shop.low.code: 0, shop.high.code: 0, shop.capped.code: 0}
    assert get_purchase_order(session, po_id=approved.id).status == "approved"


def test_a_draft_nothing_is_proposed_for_any_more_is_cancelled(session: Session, shop: Shop) -> None:
    _, first = run(session)
    [(number, _, _)] = mine(first, shop)
    session.execute(text("UPDATE stock_levels SET on_hand = 500 WHERE sku_id IN (:a, :b)"),
                    {"a": shop.low.id, "b": shop.capped.id})
    session.execute(text("UPDATE reorder_rules SET max_qty = 1000 WHERE sku_id = :b"), {"b": shop.capped.id})
    _, second = run(session)
    assert mine(second, shop) == [(number, "cancelled", [])]


def test_a_load_tests_tagged_orders_are_not_demand(session: Session, shop: Shop) -> None:
    tagged = a_sku(session)
    tagged.code = ref("LT-0a1b2c")  # a load test's SKU (erp_models.loadtest.prep tags them LT-<hex>)
    stock_of(session, tagged, shop.warehouse, on_hand=5)
    sold_daily(session, tagged, 500)
    late = SalesOrder(channel_id=channel(session).id, external_id=ref("TM"), total=1000,
                      ordered_at=datetime(2099, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")))
    session.add(late)
    session.flush()
    session.add(SalesOrderLine(sales_order_id=late.id, line_no=1, sku_id=tagged.id, qty=1, unit_price=1000))
    session.flush()

    measured, _ = run(session)
    skus = {f.sku for f in measured.figures}
    assert {shop.low.code, shop.high.code} <= skus and tagged.code not in skus
    assert tagged.code not in {p.sku for p in measured.proposals}
    assert sum(d.units for d in measured.channel_days) == 3 * 10 * 10  # the shop's three SKUs only
    assert analyse(session, spec=SPEC).window.last < date(2099, 1, 1)  # the latest untagged order's day
