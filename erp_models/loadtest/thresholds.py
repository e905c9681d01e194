"""Thresholds as data: the grammar (grammar.py), verdicts on a result (verdicts.py) and the knee (knee.py) together.

The public API that the load-test flow and the Locust runner (loadtests/) import.
"""

from __future__ import annotations

from erp_models.loadtest.grammar import (
    Threshold,
    ThresholdError,
    ThresholdRule,
    ThresholdSpec,
    parse_threshold,
    parse_thresholds,
)
from erp_models.loadtest.knee import Knee, StepVerdict, judge_steps, knee
from erp_models.loadtest.metrics import Metric, metric_key, summary_values
from erp_models.loadtest.verdicts import NO_BASELINE, ThresholdVerdict, abort_reason, evaluate, judge

__all__ = [
    "NO_BASELINE", "Knee", "Metric", "StepVerdict", "Threshold", "ThresholdError", "ThresholdRule", "ThresholdSpec",
    "ThresholdVerdict", "abort_reason", "evaluate", "judge", "judge_steps", "knee", "metric_key", "parse_threshold",
    "parse_thresholds", "summary_values",
]
