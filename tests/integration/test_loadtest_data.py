"""A load-test run's data: prepared through the domain services, checked for invariants, retired by its tag."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import Unauthenticated
from erp_models.invariants import find_violations
from erp_models.inventory.services import stock_position
from erp_models.loadtest.invariants import OrderAnswer, check_invariants, parse_order_answers
from erp_models.loadtest.prep import LoadFixture, UserKind, cleanup, new_tag, prepare
from erp_models.sales.fulfilment import ship_order
from erp_models.sales.ordering import OrderLineInput, cancel_order, place_order
from erp_models.security.services import authenticate


@pytest.fixture
def fixture(session: Session) -> LoadFixture:
    return prepare(session, tag=new_tag(), sku_count=3, stock=50)


def _order(session: Session, fx: LoadFixture, external_id: str, qty: int = 2) -> OrderAnswer:
    placed = place_order(session, channel=fx.channel, external_id=external_id, customer_ref=fx.customer_ref,
                         lines=[OrderLineInput(fx.skus[0], qty, 4990), OrderLineInput(fx.skus[1], 1, 4990)],
                         actor="tests")
    return OrderAnswer(external_id, fx.channel, 201 if placed.created else 200, placed.id, not placed.created)


def test_prepared_data_is_stocked_through_the_ledger_and_every_kind_gets_a_working_token(
        session: Session, fixture: LoadFixture) -> None:
    assert all(code.startswith(f"{fixture.tag}-") for code in [*fixture.skus, fixture.warehouse, fixture.supplier])
    assert stock_position(session, sku=fixture.skus[2], warehouse=fixture.warehouse).on_hand == 50
    assert find_violations(session) == []  # on_hand equals the ledger
    roles = {kind: authenticate(session, fixture.tokens[kind]).role for kind in fixture.tokens}
    assert roles == {"connector": "channel_integration", "shopper": "viewer", "warehouse": "warehouse",
                     "purchaser": "purchaser", "manager": "pm"}
    assert "sales.place_order" in authenticate(session, fixture.tokens[UserKind.CONNECTOR]).permissions


def test_a_clean_run_holds_every_invariant(session: Session, fixture: LoadFixture) -> None:
    answers = [_order(session, fixture, f"{fixture.tag}-1"), _order(session, fixture, f"{fixture.tag}-2"),
               _order(session, fixture, f"{fixture.tag}-1")]  # the replay
    ship_order(session, order_id=answers[0].order_id or 0, carrier="SF", actor="tests")
    cancel_order(session, order_id=answers[1].order_id or 0, actor="tests")

    report = check_invariants(session, tag=fixture.tag, answers=answers)

    assert report.ok, report.violations
    assert report.checked["answered_201"] == 2 and report.checked["replays_200"] == 1


def test_lost_reservations_a_wrong_replay_and_a_missing_event_are_each_reported(
        session: Session, fixture: LoadFixture) -> None:
    answers = [_order(session, fixture, f"{fixture.tag}-1", qty=3)]
    session.execute(text("""UPDATE stock_levels SET reserved = reserved - 2
                            WHERE sku_id = (SELECT id FROM skus WHERE code = :c)"""), {"c": fixture.skus[0]})
    answers.append(OrderAnswer(f"{fixture.tag}-1", fixture.channel, 200, (answers[0].order_id or 0) + 1000, True))
    answers.append(OrderAnswer(f"{fixture.tag}-never", fixture.channel, 201, 424242, False))
    session.execute(text("DELETE FROM outbox_events WHERE aggregate_id = :id AND event_type = 'OrderPlaced'"),
                    {"id": answers[0].order_id})

    report = check_invariants(session, tag=fixture.tag, answers=answers)

    assert not report.ok
    assert {v.check for v in report.violations} == {"reservations", "replay_same_order", "order_answered_201",
                                                   "outbox"}
    reservation = next(v for v in report.violations if v.check == "reservations")
    assert reservation.samples == [f"{fixture.skus[0]}@{fixture.warehouse}: reserved 1, open order lines 3"]


def test_open_order_lines_beyond_the_stock_on_hand_are_an_oversell(session: Session, fixture: LoadFixture) -> None:
    answers = [_order(session, fixture, f"{fixture.tag}-{n}", qty=20) for n in range(2)]
    # What a dropped row lock does: the second order's reservation overwrote the first one's.
    session.execute(text("""UPDATE sales_order_lines SET qty = 40 WHERE sales_order_id = :id AND line_no = 1"""),
                    {"id": answers[1].order_id})

    report = check_invariants(session, tag=fixture.tag, answers=answers)

    assert {"oversold", "reservations"} <= {v.check for v in report.violations}


def test_cleanup_revokes_the_tokens_and_retires_the_master_data_but_keeps_history(
        session: Session, fixture: LoadFixture) -> None:
    _order(session, fixture, f"{fixture.tag}-1")

    done = cleanup(session, tag=fixture.tag)

    assert (done.tokens_revoked, done.users_deactivated, done.skus_deactivated) == (5, 5, 3)
    assert (done.warehouses_deactivated, done.suppliers_deactivated) == (1, 1)
    with pytest.raises(Unauthenticated):
        authenticate(session, fixture.tokens["connector"])
    assert session.execute(text("SELECT count(*) FROM sales_orders WHERE external_id = :e"),
                           {"e": f"{fixture.tag}-1"}).scalar_one() == 1
    assert cleanup(session, tag=fixture.tag).tokens_revoked == 0  # a second cleanup finds nothing left to do


def test_order_answers_are_read_from_json_lines() -> None:
    lines = ['{"external_id": "x", "channel": "tmall", "status": 201, "order_id": 7, "replay": false}', "",
             '{"external_id": "x", "channel": "tmall", "status": 409, "order_id": null, "replay": true}']
    assert parse_order_answers(lines) == [OrderAnswer("x", "tmall", 201, 7, False),
                                          OrderAnswer("x", "tmall", 409, None, True)]


def test_the_baseline_is_the_last_passing_run_of_the_same_profile(session: Session) -> None:
    import uuid

    from erp_models.loadtest.baseline import last_passing_baseline
    from erp_models.project.evidence import record_evidence

    profile = f"p{uuid.uuid4().hex[:8]}"  # a profile no other test records
    assert last_passing_baseline(session, profile=profile) == (None, {})
    passing, failing = uuid.uuid4(), uuid.uuid4()
    for run, passed, p95 in ((passing, 1, 40.0), (failing, 0, 900.0)):
        record_evidence(session, source="tests", run_id=run, scope=f"loadtest/{profile}",
                        values={f"loadtest.{profile}.place_order.p95_ms": p95, f"loadtest.{profile}.fail_ratio": 0.0,
                                f"loadtest.{profile}.passed": passed})

    run, baseline = last_passing_baseline(session, profile=profile)

    assert run == str(passing)
    assert baseline == {"place_order.p95_ms": 40.0, "total.fail_ratio": 0.0}
