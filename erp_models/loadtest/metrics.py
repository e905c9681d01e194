"""The metrics a threshold can judge, their names in evidence and baselines, and their value on a Sample."""

from __future__ import annotations

from enum import StrEnum

from erp_models.loadtest.histogram import Sample
from erp_models.loadtest.stats import TOTAL, LoadResult


class Metric(StrEnum):
    PERCENTILE = "p"  # p(N), with the percentile N alongside
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    RPS = "rps"
    FAIL_RATIO = "fail_ratio"
    COUNT = "count"


LATENCIES = frozenset({Metric.PERCENTILE, Metric.AVG, Metric.MIN, Metric.MAX})
# Counting metrics have a value (0) on a stretch without requests; the others are not measured there.
COUNTING = frozenset({Metric.RPS, Metric.COUNT})


def metric_key(metric: Metric, percentile: float | None = None) -> str:
    """The metric's name in evidence and baselines: p95_ms, p99_9_ms, avg_ms, max_ms, rps, fail_ratio, requests."""
    if metric is Metric.PERCENTILE:
        assert percentile is not None
        number = f"{percentile:g}".replace(".", "_")
        return f"p{number}_ms"
    if metric is Metric.COUNT:
        return "requests"
    return f"{metric.value}_ms" if metric in LATENCIES else metric.value


def metric_label(metric: Metric, percentile: float | None = None) -> str:
    """The metric as the grammar writes it: p(95), avg, fail_ratio."""
    return f"p({percentile:g})" if metric is Metric.PERCENTILE else metric.value


def measure(sample: Sample, metric: Metric, percentile: float | None = None) -> float | None:
    """The metric on the sample; None when the sample has no request to measure it on (never for rps and count)."""
    if metric is Metric.PERCENTILE:
        assert percentile is not None
        return sample.percentile_ms(percentile / 100)
    if metric is Metric.AVG:
        return sample.avg_ms()
    if metric is Metric.MIN:
        return sample.lowest_ms()
    if metric is Metric.MAX:
        return sample.highest_ms()
    if metric is Metric.RPS:
        return sample.rps()
    if metric is Metric.FAIL_RATIO:
        return sample.fail_ratio()
    return float(sample.requests)


SUMMARY: tuple[tuple[Metric, float | None], ...] = (
    (Metric.PERCENTILE, 50.0), (Metric.PERCENTILE, 95.0), (Metric.PERCENTILE, 99.0), (Metric.AVG, None),
    (Metric.MAX, None), (Metric.RPS, None), (Metric.FAIL_RATIO, None), (Metric.COUNT, None))


def summary_values(result: LoadResult) -> dict[str, float]:
    """Per endpoint and for `total`: p50/p95/p99/avg/max in ms, rps, fail_ratio and requests, keyed
    `<endpoint>.<metric key>` (e.g. place_order.p95_ms, total.fail_ratio): what a run records as evidence and
    what a later run's baseline thresholds read. Values that were not measured (no requests) are left out."""
    values: dict[str, float] = {}
    for endpoint in [*result.endpoint_names(), TOTAL]:
        sample = result.whole(endpoint)
        for metric, percentile in SUMMARY:
            value = measure(sample, metric, percentile)
            if value is not None:
                values[f"{endpoint}.{metric_key(metric, percentile)}"] = value
    return values
