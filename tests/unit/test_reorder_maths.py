"""The reorder point, service levels and order quantities under min/max rules, against hand-computed values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from erp_models.ops.reorder import OrderRule, lead_time_days, order_quantity, order_up_to, reorder_point, z_for


def test_the_reorder_point_matches_the_hand_computed_vector() -> None:
    # d̄ = 50/day, σ_d = 5, L = 6 days, z = 1.2816: 50·6 + 1.2816·5·√6 = 300 + 15.696 = 315.70
    assert reorder_point(50, 5, 6, 1.2816) == pytest.approx(315.7, abs=0.05)


def test_a_ninety_percent_service_level_is_z_1_2816() -> None:
    assert z_for(0.90) == pytest.approx(1.2816, abs=1e-4)
    assert z_for(0.95) == pytest.approx(1.6449, abs=1e-4)


def test_a_service_level_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="service level"):
        z_for(1.0)


def test_lead_time_is_the_mean_wait_in_days_and_unknown_without_receipts() -> None:
    assert lead_time_days([timedelta(days=4), timedelta(days=6, hours=12)]) == pytest.approx(5.25)
    assert lead_time_days([]) is None


def test_nothing_is_ordered_at_or_above_the_reorder_point() -> None:
    assert order_quantity(316, 315.7, 500, OrderRule()) == 0


def test_below_the_reorder_point_it_orders_up_to_the_rule_max() -> None:
    assert order_quantity(100, 315.7, order_up_to(315.7, 50, 14, 400), OrderRule(max_qty=400)) == 300


def test_without_a_rule_it_orders_up_to_the_reorder_point_plus_a_review_period() -> None:
    target = order_up_to(315.7, 50, 14, None)  # 315.7 + 700
    assert order_quantity(100, 315.7, target, OrderRule()) == 916


def test_quantities_round_up_to_a_multiple_like_odoo() -> None:
    assert order_quantity(100, 315.7, 1015.7, OrderRule(qty_multiple=50)) == 950


def test_rounding_never_takes_the_position_over_the_max() -> None:
    # up to 400 from 100 is 300; a multiple of 70 rounds up to 350, which breaks the max: 280 fits
    assert order_quantity(100, 315.7, 400, OrderRule(max_qty=400, qty_multiple=70)) == 280


def test_a_minimum_order_applies_like_erpnext_reorder_qty() -> None:
    # max(reorder_qty, level − projected): 250 from 300 is 50, but at least 120 is ordered
    assert order_quantity(300, 315.7, 350, OrderRule(min_order_qty=120)) == 120


def test_a_minimum_order_is_still_capped_by_the_max() -> None:
    assert order_quantity(300, 315.7, 350, OrderRule(max_qty=350, min_order_qty=120)) == 50
