"""The threshold grammar: every form a plan may write parses to what it means, and every malformed one is refused
with one line that names where it was written and what is wrong."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from erp_models.loadtest.durations import DurationError, parse_duration
from erp_models.loadtest.thresholds import Metric, ThresholdError, ThresholdRule, parse_threshold, parse_thresholds

WHERE = "plan.yaml: loadtest.profiles.load.thresholds[2]"


@pytest.mark.parametrize(("text", "endpoint", "metric", "percentile", "op", "limit"), [
    ("place_order: p(95) < 300", "place_order", Metric.PERCENTILE, 95.0, "<", 300.0),
    ("p(95)<300", "total", Metric.PERCENTILE, 95.0, "<", 300.0),
    ("total: p(99.9) <= 1000", "total", Metric.PERCENTILE, 99.9, "<=", 1000.0),
    ("p( 50 ) < 20ms", "total", Metric.PERCENTILE, 50.0, "<", 20.0),
    ("med < 20", "total", Metric.PERCENTILE, 50.0, "<", 20.0),
    ("stock_lookup: avg < 50", "stock_lookup", Metric.AVG, None, "<", 50.0),
    ("min >= 0", "total", Metric.MIN, None, ">=", 0.0),
    ("ship_order: max < 2000 ms", "ship_order", Metric.MAX, None, "<", 2000.0),
    ("rps > 50", "total", Metric.RPS, None, ">", 50.0),
    ("place_order: fail_ratio < 0.01", "place_order", Metric.FAIL_RATIO, None, "<", 0.01),
    ("fail_rate == 0", "total", Metric.FAIL_RATIO, None, "==", 0.0),
    ("replay_order: count != 0", "replay_order", Metric.COUNT, None, "!=", 0.0),
    ("count > 1e3", "total", Metric.COUNT, None, ">", 1000.0),
])
def test_every_metric_and_comparison_parses(text: str, endpoint: str, metric: Metric, percentile: float | None,
                                            op: str, limit: float) -> None:
    threshold = parse_threshold(text, WHERE)
    assert (threshold.endpoint, threshold.metric, threshold.percentile, threshold.op, threshold.limit) == (
        endpoint, metric, percentile, op, limit)
    assert threshold.window_s is None and not threshold.is_baseline and not threshold.abort_on_fail


@pytest.mark.parametrize(("text", "key"), [
    ("place_order: p(95) < 1", "place_order.p95_ms"), ("p(99.9) < 1", "total.p99_9_ms"),
    ("avg < 1", "total.avg_ms"), ("list_stock: max < 1", "list_stock.max_ms"), ("rps > 1", "total.rps"),
    ("fail_ratio < 1", "total.fail_ratio"), ("place_order: count > 1", "place_order.requests"),
])
def test_a_threshold_names_its_value_as_evidence_and_baselines_do(text: str, key: str) -> None:
    assert parse_threshold(text).key == key


def test_a_window_is_a_whole_number_of_seconds() -> None:
    assert parse_threshold("place_order: p(95) < 500 for 10s").window_s == 10
    assert parse_threshold("p(95) < 500 for 2m").window_s == 120
    assert parse_threshold("rps > 5 for 30").window_s == 30
    assert parse_threshold("rps > 5 for 15 s").window_s == 15


def test_the_baseline_form_keeps_its_factor() -> None:
    bare, scaled = parse_threshold("p(95) <= baseline"), parse_threshold("place_order: p(95) <= baseline * 1.10")
    assert bare.is_baseline and bare.baseline_factor == 1.0 and bare.limit is None
    assert scaled.baseline_factor == pytest.approx(1.1) and scaled.endpoint == "place_order"
    assert parse_threshold("rps >= baseline*0.9 for 10s").window_s == 10


@pytest.mark.parametrize("rule", [
    {"expr": "fail_ratio < 0.1", "abort_on_fail": True, "grace": "5s"},
    {"expr": "fail_ratio < 0.1", "abort_on_fail": True, "grace_s": 5},
    ThresholdRule(expr="fail_ratio < 0.1", abort_on_fail=True, grace_s=5),
])
def test_the_mapping_form_aborts_after_its_grace(rule: Mapping[str, object] | ThresholdRule) -> None:
    threshold = parse_threshold(rule, WHERE)
    assert threshold.abort_on_fail and threshold.grace_s == 5.0 and threshold.limit == 0.1


def test_a_mapping_without_abort_is_an_ordinary_threshold() -> None:
    threshold = parse_threshold({"expr": "p(95) < 300"})
    assert not threshold.abort_on_fail and threshold.grace_s == 0.0


@pytest.mark.parametrize(("spec", "what"), [
    ("", "the threshold is empty"),
    (" ", "the threshold is empty"),
    ("< 300", "the metric is missing"),
    ("p(95) < -1", "the limit -1 is not a number from 0 up"),
    ("fail_ratio < 5", "fail_ratio is a share from 0 to 1"),
    ("p(95) 300", "no comparison"),
    ("p(95) <", "compares with nothing"),
    ("p(95) < fast", "compares with 'fast'"),
    ("p(95) < 300 < 400", "compares with '300 < 400'"),
    ("p95 < 300", "'p95' is not a metric"),
    ("latency < 300", "'latency' is not a metric"),
    ("p(0) < 3", "strictly between 0 and 100"),
    ("p(100) < 3", "strictly between 0 and 100"),
    ("p(abc) < 3", "percentile 'abc'"),
    ("Place Order: p(95) < 3", "endpoint 'Place Order' is not a Locust request name"),
    (": p(95) < 3", "endpoint '' is not"),
    ("rps > 3ms", "rps is not a time"),
    ("fail_ratio < 1 ms", "fail_ratio is not a time"),
    ("p(95) < baseline * 0", "the baseline factor must be a positive number"),
    ("p(95) < baseline * -1.1", "the baseline factor must be a positive number"),
    ("p(95) < baseline + 10", "compares with 'baseline + 10'"),
    ("p(95) < 300 for ten", "window 'ten' is not a duration"),
    ("p(95) < 300 for 0s", "at least 1s"),
    ("p(95) < 300 for 1.5s", "whole number of seconds"),
    ("p(95) < 300 for", "`for` must end the threshold"),
    ("p(95) < 300 for 10s please", "`for` must end the threshold"),
    ("fail_ratio == 0 for 10s", "`for` needs an ordering comparison"),
    ({"expr": "p(95) < 3", "abort_on_fail": True, "grace": "soon"}, "grace: 'soon' is not a duration"),
    ({"expr": "p(95) < 3", "grace": "5s"}, "grace only applies with abort_on_fail: true"),
    ({"expr": "p(95) < 3", "abort": True}, "abort: Extra inputs are not permitted"),
    ({"abort_on_fail": True}, "expr: Field required"),
    ({"expr": "p(95) <"}, "compares with nothing"),
])
def test_a_malformed_threshold_is_refused_naming_the_place(spec: str | dict[str, object], what: str) -> None:
    with pytest.raises(ThresholdError) as caught:
        parse_threshold(spec, WHERE)
    message = str(caught.value)
    assert message.startswith(f"{WHERE}: ") and "\n" not in message
    assert what in message


def test_a_list_of_thresholds_names_the_index_of_the_bad_one() -> None:
    with pytest.raises(ThresholdError, match=r"^plan\.yaml: thresholds\[1\]: threshold 'p\(95\) <'"):
        parse_thresholds(["p(95) < 300", "p(95) <"], "plan.yaml: thresholds")


@pytest.mark.parametrize(("written", "seconds"), [
    (30, 30.0), (2.5, 2.5), ("45", 45.0), ("30s", 30.0), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0),
    (" 10 s ", 10.0),
])
def test_durations_are_seconds_or_written_with_units(written: object, seconds: float) -> None:
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("written", ["", "soon", "10x", "s", True, None, "-5s", [10]])
def test_a_duration_that_is_not_one_is_refused(written: object) -> None:
    with pytest.raises(DurationError, match="is not a duration"):
        parse_duration(written)
