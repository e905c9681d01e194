"""Thresholds judged on a load-test result: per threshold a verdict, and the early-abort rule (abort_on_fail)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from erp_models.loadtest.grammar import Threshold
from erp_models.loadtest.histogram import Sample
from erp_models.loadtest.metrics import COUNTING, measure, metric_key
from erp_models.loadtest.stats import LoadResult

NO_BASELINE = "no baseline yet: passes until a passing run of this profile records one"


@dataclass(frozen=True)
class ThresholdVerdict:
    expr: str
    endpoint: str
    metric: str  # the metric key, e.g. p95_ms, fail_ratio
    value: float | None  # None when nothing was measured (no requests, no stretch as long as the window)
    limit: float | None  # the number compared with; for a baseline threshold baseline × factor, None without one
    passed: bool
    reason: str


def evaluate(thresholds: Sequence[Threshold], result: LoadResult,
             baseline: Mapping[str, float] | None = None) -> list[ThresholdVerdict]:
    """Every threshold judged on the whole result; `baseline` maps `<endpoint>.<metric key>` to the last passing
    run's value (e.g. {"place_order.p95_ms": 41.0}); without it a baseline threshold passes, saying so."""
    return [judge(threshold, result, baseline) for threshold in thresholds]


def judge(threshold: Threshold, result: LoadResult, baseline: Mapping[str, float] | None = None) -> ThresholdVerdict:
    t = threshold
    limit, basis = t.limit, ""
    if t.baseline_factor is not None:
        before = (baseline or {}).get(t.key)
        if before is None:
            now = measure(result.whole(t.endpoint), t.metric, t.percentile)
            return _verdict(t, now, None, True, NO_BASELINE)
        limit, basis = before * t.baseline_factor, f" (baseline {before:g} × {t.baseline_factor:g})"
    assert limit is not None
    whole = result.whole(t.endpoint)
    if t.metric not in COUNTING and whole.requests == 0:
        return _verdict(t, None, limit, False, f"no requests to {t.endpoint}: nothing to measure {t.label} on")
    if t.window_s is None:
        value = measure(whole, t.metric, t.percentile)
        assert value is not None
        return _verdict(t, value, limit, t.holds(value, limit),
                        f"{t.label} {value:g} over the whole run {t.op} {limit:g}{basis}" if t.holds(value, limit)
                        else f"{t.label} {value:g} over the whole run, not {t.op} {limit:g}{basis}")
    return _windowed(t, result.per_second(t.endpoint), limit, basis)


def _windowed(t: Threshold, seconds: list[Sample], limit: float, basis: str) -> ThresholdVerdict:
    """Fails when every second of some `window_s` stretch violates the threshold (seconds without requests are not
    measured and do not interrupt a stretch). The value is the worst level held through a whole stretch."""
    assert t.window_s is not None
    values = [measure(s, t.metric, t.percentile) for s in seconds]
    upper = t.op in ("<", "<=")  # the limit is a ceiling: a stretch holds its lowest value throughout
    worst: float | None = None
    worst_at = 0
    for start in range(len(values) - t.window_s + 1):
        measured = [v for v in values[start:start + t.window_s] if v is not None]
        if not measured:
            continue
        held = min(measured) if upper else max(measured)
        if worst is None or (held > worst if upper else held < worst):
            worst, worst_at = held, start
    if worst is None:
        return _verdict(t, None, limit, True,
                        f"no {t.window_s} s stretch with requests in a run of {len(values)} s: nothing was sustained")
    if t.holds(worst, limit):
        return _verdict(t, worst, limit, True, f"{t.label} held at worst {worst:g} for {t.window_s} s "
                                               f"(from t={worst_at} s), {t.op} {limit:g}{basis}")
    return _verdict(t, worst, limit, False, f"{t.label} stayed at {worst:g} or worse for {t.window_s} s from "
                                            f"t={worst_at} s, not {t.op} {limit:g}{basis}")


def _verdict(t: Threshold, value: float | None, limit: float | None, passed: bool, reason: str) -> ThresholdVerdict:
    return ThresholdVerdict(expr=t.text, endpoint=t.endpoint, metric=metric_key(t.metric, t.percentile),
                            value=value, limit=limit, passed=passed, reason=reason)


def abort_reason(thresholds: Sequence[Threshold], result_so_far: LoadResult, elapsed_s: float,
                 baseline: Mapping[str, float] | None = None) -> str | None:
    """Why the run should stop now: the first abort_on_fail threshold, past its grace, that fails on the result so
    far with something measured (an endpoint not hit yet is no reason to stop); None to carry on."""
    for threshold in thresholds:
        if not threshold.abort_on_fail or elapsed_s < threshold.grace_s:
            continue
        verdict = judge(threshold, result_so_far, baseline)
        if not verdict.passed and verdict.value is not None:
            return f"{threshold.text} failed after {elapsed_s:g} s: {verdict.reason}"
    return None
