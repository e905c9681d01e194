"""ABC by revenue share and the per-SKU figures: demand statistics, sell-through, return rate, cover, slow movers."""

from __future__ import annotations

import pytest

from erp_models.ops.analysis import AbcClass, SkuSales, SkuStock, abc_counts, classify_abc, demand_stats, sku_figures

A, B, C = AbcClass.A, AbcClass.B, AbcClass.C


def test_abc_classes_follow_the_cumulative_revenue_share() -> None:
    revenue = {"S1": 500, "S2": 250, "S3": 100, "S4": 80, "S5": 40, "S6": 30}  # total 1000
    # shares above each: S1 0, S2 .50, S3 .75, S4 .85, S5 .93, S6 .97
    assert classify_abc(revenue, a_share=0.80, b_share=0.95) == {
        "S1": A, "S2": A, "S3": A, "S4": B, "S5": B, "S6": C}


def test_the_top_seller_is_class_a_even_when_it_alone_is_over_the_threshold() -> None:
    assert classify_abc({"BIG": 990, "SMALL": 10}, a_share=0.80, b_share=0.95) == {"BIG": A, "SMALL": C}


def test_skus_that_sold_nothing_are_class_c_and_ties_rank_by_code() -> None:
    assert classify_abc({"B": 50, "A": 50, "Z": 0}, a_share=0.4, b_share=0.9) == {"A": A, "B": B, "Z": C}


def test_demand_statistics_are_the_mean_and_sample_deviation_of_daily_units() -> None:
    mean, sd = demand_stats([2, 4, 4, 4, 5, 5, 7, 9])
    assert mean == 5.0 and sd == pytest.approx(2.138, abs=1e-3)
    assert demand_stats([3]) == (3.0, 0.0)


def test_sku_figures_give_sell_through_return_rate_cover_and_slow_movers() -> None:
    sales = [SkuSales("FAST", "快消品", units=100, revenue=10_000, orders=20, returned=5, cancelled=2,
                      daily=(10,) * 10),
             SkuSales("SLOW", "Slow", units=10, revenue=1_000, orders=2, returned=0, cancelled=0, daily=(1,) * 10)]
    stock = [SkuStock("FAST", "快消品", on_hand=100, available=80), SkuStock("SLOW", "Slow", 200, 200),
             SkuStock("IDLE", "Idle", 7, 7)]
    fast, slow, idle = sku_figures(sales, stock, days=10, a_share=0.8, b_share=0.95, slow_cover_days=90)
    assert (fast.abc, fast.rank, fast.sell_through, fast.return_rate, fast.cover_days) == (A, 1, 0.5, 0.05, 8.0)
    assert (slow.cover_days, slow.slow_mover) == (200.0, True)
    assert (idle.sku, idle.abc, idle.rank, idle.units, idle.cover_days, idle.slow_mover) == (
        "IDLE", C, None, 0, None, True)
    assert abc_counts([fast, slow, idle]) == {"A": 1, "B": 1, "C": 1}
