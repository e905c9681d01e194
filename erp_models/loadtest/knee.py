"""The knee of a stress run: the highest step of users that still meets every (non-baseline) threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from erp_models.loadtest.grammar import Threshold
from erp_models.loadtest.metrics import COUNTING, measure
from erp_models.loadtest.stats import LoadResult

RAMP_S = 2  # the first seconds of a step, while users are still spawning, are not judged...
MIN_JUDGED_S = 3  # ...when at least this many seconds of the step remain


@dataclass(frozen=True)
class StepVerdict:
    index: int
    users: int
    start_s: float  # the judged window: the step without its ramp
    end_s: float
    rps: float
    p95_ms: float | None
    passed: bool
    failed: list[str] = field(default_factory=list)  # the thresholds the step broke, with their values


@dataclass(frozen=True)
class Knee:
    step_index: int
    users: int
    rps: float
    p95_ms: float | None
    criterion: str  # the thresholds the steps were judged by, joined with "; "


def judge_steps(thresholds: Sequence[Threshold], result: LoadResult) -> list[StepVerdict]:
    """Each step that ran, judged as one window (the step is the window, so `for` does not apply within it)."""
    judged = [t for t in thresholds if not t.is_baseline]
    verdicts: list[StepVerdict] = []
    for step in sorted(result.steps, key=lambda s: s.index):
        if step.start_s >= result.duration_s:
            break  # the run ended (or was aborted) before this step began
        end = min(step.end_s, result.duration_s)
        start = step.start_s + RAMP_S if end - step.start_s - RAMP_S >= MIN_JUDGED_S else step.start_s
        total = result.window(start, end)
        failed: list[str] = []
        for t in judged:
            sample = result.window(start, end, t.endpoint)
            value = measure(sample, t.metric, t.percentile)
            assert t.limit is not None
            if value is None and t.metric not in COUNTING:
                failed.append(f"{t.text} (no requests)")
            elif value is not None and not t.holds(value, t.limit):
                failed.append(f"{t.text} ({t.label} {value:g})")
        verdicts.append(StepVerdict(index=step.index, users=step.users, start_s=start, end_s=end, rps=total.rps(),
                                    p95_ms=total.percentile_ms(0.95), passed=not failed, failed=failed))
    return verdicts


def knee(thresholds: Sequence[Threshold], result: LoadResult) -> Knee | None:
    """The highest step such that it and every step below it pass; None when even the first step fails."""
    judged = [t for t in thresholds if not t.is_baseline]
    criterion = "; ".join(t.text for t in judged) or "no thresholds: the highest step that ran"
    best = None
    for step in judge_steps(judged, result):
        if not step.passed:
            break
        best = step
    if best is None:
        return None
    return Knee(step_index=best.index, users=best.users, rps=best.rps, p95_ms=best.p95_ms, criterion=criterion)
