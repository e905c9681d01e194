"""Thresholds judged on a run: the whole run, sustained windows, baselines, and when to abort early."""

from __future__ import annotations

import random

import pytest

from erp_models.loadtest.stats import LoadResult
from erp_models.loadtest.thresholds import NO_BASELINE, abort_reason, evaluate, parse_threshold, summary_values
from tests.unit.loadtest.builders import SecondSpec, result_of, steady

FAST = [20.0] * 10
SLOW = [900.0] * 10


def verdict_of(text: str, result: LoadResult, baseline: dict[str, float] | None = None) -> tuple[bool, float | None]:
    [verdict] = evaluate([parse_threshold(text)], result, baseline)
    return verdict.passed, verdict.value


def test_a_run_within_its_thresholds_passes_each_with_its_value() -> None:
    result = result_of({"place_order": steady(FAST, 12), "stock_lookup": steady([5.0] * 5, 12)})
    verdicts = evaluate([parse_threshold(t) for t in ("place_order: p(95) < 300", "fail_ratio < 0.01", "rps > 10")],
                        result)
    assert [(v.expr, v.value, v.limit, v.passed) for v in verdicts] == [
        ("place_order: p(95) < 300", 20.0, 300.0, True), ("fail_ratio < 0.01", 0.0, 0.01, True),
        ("rps > 10", 15.0, 10.0, True)]
    assert verdicts[0].metric == "p95_ms" and verdicts[0].endpoint == "place_order"


def test_a_slow_endpoint_fails_its_percentile_and_says_by_how_much() -> None:
    result = result_of({"place_order": steady([20.0] * 9 + [400.0], 12), "stock_lookup": steady([5.0], 12)})
    [verdict] = evaluate([parse_threshold("place_order: p(95) < 300")], result)
    assert not verdict.passed and verdict.value == 400.0
    assert verdict.reason == "p(95) 400 over the whole run, not < 300"
    assert verdict_of("stock_lookup: p(95) < 300", result) == (True, 5.0)


def test_failures_count_against_the_fail_ratio() -> None:
    result = result_of({"place_order": steady(FAST, 10, failures=1)})
    assert verdict_of("fail_ratio < 0.01", result) == (False, 0.1)
    assert verdict_of("place_order: fail_ratio <= 0.1", result) == (True, 0.1)


@pytest.mark.parametrize(("text", "value"), [
    ("avg < 100", 56.0), ("min >= 10", 10.0), ("max <= 200", 200.0), ("count == 60", 60.0), ("p(50) < 20", 10.0),
])
def test_avg_min_max_and_count_are_measured_on_the_whole_run(text: str, value: float) -> None:
    result = result_of({"place_order": steady([10.0, 10.0, 10.0, 10.0, 200.0, 96.0], 10)})
    assert verdict_of(text, result) == (True, value)


def test_an_endpoint_with_no_requests_fails_rather_than_passing_unmeasured() -> None:
    [verdict] = evaluate([parse_threshold("ship_order: p(95) < 300")], result_of({"place_order": steady(FAST, 5)}))
    assert not verdict.passed and verdict.value is None and "no requests to ship_order" in verdict.reason
    assert verdict_of("ship_order: count == 0", result_of({"place_order": steady(FAST, 5)})) == (True, 0.0)


def test_a_few_slow_seconds_do_not_fail_a_windowed_threshold() -> None:
    seconds: list[SecondSpec] = steady(FAST, 30)
    seconds[12] = seconds[20] = (SLOW, 0)
    result = result_of({"place_order": seconds})
    assert verdict_of("place_order: p(95) < 500 for 10s", result)[0]
    assert not verdict_of("place_order: p(95) < 500", result)[0]  # without `for`, the whole run's p95 has it


def test_a_windowed_threshold_fails_when_every_second_of_a_stretch_violates_it() -> None:
    result = result_of({"place_order": steady(FAST, 5) + steady(SLOW, 10) + steady(FAST, 5)})
    [verdict] = evaluate([parse_threshold("place_order: p(95) < 500 for 10s")], result)
    assert not verdict.passed and verdict.value == 900.0
    assert "for 10 s from t=5 s" in verdict.reason
    assert verdict_of("place_order: p(95) < 500 for 11s", result)[0]  # ten slow seconds are not eleven


def test_seconds_without_requests_are_not_measured_and_do_not_break_a_stretch() -> None:
    slow_with_gaps: list[SecondSpec] = [(SLOW, 0) if t % 2 else ([], 0) for t in range(12)]
    result = result_of({"place_order": slow_with_gaps})
    assert verdict_of("place_order: p(95) < 500 for 10s", result) == (False, 900.0)


def test_a_stall_fails_a_windowed_throughput_floor() -> None:
    stalled: list[SecondSpec] = steady(FAST, 5) + [([], 0)] * 10 + steady(FAST, 5)
    assert verdict_of("rps > 1 for 10s", result_of({"place_order": stalled})) == (False, 0.0)
    assert verdict_of("rps > 1 for 10s", result_of({"place_order": steady(FAST, 20)})) == (True, 10.0)


def test_a_run_shorter_than_the_window_cannot_fail_it_and_says_so() -> None:
    [verdict] = evaluate([parse_threshold("p(95) < 500 for 30s")], result_of({"place_order": steady(SLOW, 12)}))
    assert verdict.passed and verdict.value is None and "no 30 s stretch" in verdict.reason


def test_without_a_baseline_a_baseline_threshold_passes_and_says_why() -> None:
    result = result_of({"place_order": steady(FAST, 10)})
    for baseline in (None, {"stock_lookup.p95_ms": 5.0}):
        [verdict] = evaluate([parse_threshold("place_order: p(95) <= baseline * 1.10")], result, baseline)
        assert verdict.passed and verdict.reason == NO_BASELINE and verdict.value == 20.0 and verdict.limit is None


def test_a_baseline_threshold_allows_the_factor_and_no_more() -> None:
    result = result_of({"place_order": steady([22.0] * 10, 10)})
    text = "place_order: p(95) <= baseline * 1.10"
    assert verdict_of(text, result, {"place_order.p95_ms": 20.0}) == (True, 22.0)
    [verdict] = evaluate([parse_threshold(text)], result, {"place_order.p95_ms": 19.0})
    assert not verdict.passed and verdict.limit == pytest.approx(20.9) and "baseline 19 × 1.1" in verdict.reason
    assert verdict_of("rps >= baseline * 0.9", result, {"total.rps": 10.5}) == (True, 10.0)


def test_abort_on_fail_waits_for_its_grace_then_names_the_threshold() -> None:
    failing = result_of({"place_order": steady(FAST, 6, failures=8)})
    rule = parse_threshold({"expr": "fail_ratio < 0.5", "abort_on_fail": True, "grace": "5s"})
    assert abort_reason([rule], failing, elapsed_s=4) is None
    reason = abort_reason([rule], failing, elapsed_s=6)
    assert reason is not None and reason.startswith("fail_ratio < 0.5 failed after 6 s: fail_ratio 0.8")
    assert abort_reason([rule], result_of({"place_order": steady(FAST, 6)}), elapsed_s=6) is None


def test_only_abort_on_fail_thresholds_stop_a_run_and_not_for_want_of_requests() -> None:
    failing = result_of({"place_order": steady(SLOW, 6)})
    plain = parse_threshold("p(95) < 300")
    unhit = parse_threshold({"expr": "ship_order: p(95) < 300", "abort_on_fail": True})
    assert abort_reason([plain, unhit], failing, elapsed_s=6) is None


def test_a_runs_summary_is_what_the_next_runs_baseline_reads() -> None:
    result = result_of({"place_order": steady([20.0] * 9 + [400.0], 10), "ship_order": steady([], 10)})
    values = summary_values(result)
    assert values["place_order.p95_ms"] == 400.0 and values["place_order.p50_ms"] == 20.0
    assert values["total.requests"] == 100 and values["total.rps"] == 10.0 and values["total.fail_ratio"] == 0.0
    assert "ship_order.p95_ms" not in values and values["ship_order.requests"] == 0
    assert verdict_of("place_order: p(95) <= baseline", result, values) == (True, 400.0)


@pytest.mark.parametrize("seed", range(10))
def test_a_window_fails_exactly_when_some_stretch_is_violated_throughout(seed: int) -> None:
    rng = random.Random(seed)
    seconds: list[SecondSpec] = [([rng.choice([20.0, 600.0])] * 5, 0) if rng.random() > 0.2 else ([], 0)
                                 for _ in range(40)]
    slow = [bool(times) and times[0] > 500 for times, _ in seconds]
    quiet = [not times for times, _ in seconds]
    expected_to_fail = any(all(slow[i] or quiet[i] for i in range(start, start + 6))
                           and any(slow[start:start + 6]) for start in range(40 - 6 + 1))
    passed, _ = verdict_of("place_order: p(95) < 500 for 6s", result_of({"place_order": seconds}))
    assert passed is not expected_to_fail
