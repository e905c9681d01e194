"""The monitor's limits: parsed from the plan, defaults replaced per check, figures judged."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from erp_models.ops.monitor_spec import DEFAULT_THRESHOLDS, MonitorSpec
from erp_models.ops.monitor_thresholds import (
    MonitorThresholdError,
    judge_figures,
    parse_monitor_threshold,
    percentile,
)


def test_a_limit_is_parsed_into_check_operator_and_number() -> None:
    limit = parse_monitor_threshold("  api.read_p95_ms   <  500 ")
    assert (limit.check, limit.op, limit.limit, limit.text) == ("api.read_p95_ms", "<", 500.0, "api.read_p95_ms < 500")
    assert limit.holds(499.9) and not limit.holds(500)


@pytest.mark.parametrize(("text", "message"), [
    ("api.read_p95 < 500", "unknown check 'api.read_p95'"),
    ("api.read_p95_ms under 500", "cannot parse"),
    ("api.read_p95_ms < fast", "cannot parse"),
])
def test_a_malformed_limit_is_one_line_naming_where_it_was_written(text: str, message: str) -> None:
    with pytest.raises(MonitorThresholdError, match=message) as caught:
        parse_monitor_threshold(text, where="operations.monitor.thresholds[0]")
    assert str(caught.value).startswith("operations.monitor.thresholds[0]: ") and "\n" not in str(caught.value)


def test_a_plan_limit_replaces_the_default_for_its_check_and_disabled_checks_are_not_judged() -> None:
    spec = MonitorSpec(thresholds=["api.read_p95_ms < 300", "kpi.fill_rate >= 0.95"], disabled=["db.bloat_ratio"])
    limits = spec.limits()
    assert limits["api.read_p95_ms"].text == "api.read_p95_ms < 300"
    assert limits["kpi.fill_rate"].limit == 0.95
    assert "db.bloat_ratio" not in limits
    assert len(limits) == len(DEFAULT_THRESHOLDS) - 1 + 1


def test_a_plan_with_a_bad_limit_or_an_unknown_disabled_check_is_refused() -> None:
    with pytest.raises(ValidationError, match="thresholds\\[1\\]"):
        MonitorSpec(thresholds=["db.lock_waiters < 5", "db.locks < 5"])
    with pytest.raises(ValidationError, match="unknown check"):
        MonitorSpec(disabled=["db.nothing"])


def test_figures_are_judged_and_a_limited_check_that_could_not_be_measured_fails() -> None:
    limits = MonitorSpec().limits()
    verdicts = {v.check: v for v in judge_figures(
        {"db.lock_waiters": 7.0, "db.connections_ratio": 0.1, "api.read_p95_ms": None, "outbox.lag_min": None,
         "kpi.stock_outs": 3.0},
        {k: limits[k] for k in ("db.lock_waiters", "db.connections_ratio", "api.read_p95_ms", "outbox.lag_min")},
        {"api.read_p95_ms": "the API did not answer", "outbox.lag_min": "n/a: no outbox consumer yet"})}
    assert not verdicts["db.lock_waiters"].passed
    assert "breaks `db.lock_waiters < 5`" in verdicts["db.lock_waiters"].summary
    assert verdicts["db.connections_ratio"].passed
    assert not verdicts["api.read_p95_ms"].passed and "could not be measured" in verdicts["api.read_p95_ms"].summary
    assert verdicts["outbox.lag_min"].passed  # does not apply: nothing consumes the outbox yet
    assert verdicts["kpi.stock_outs"].passed and verdicts["kpi.stock_outs"].limit is None  # measured, no limit


def test_the_p95_is_the_nearest_rank_value() -> None:
    assert percentile([float(n) for n in range(1, 21)], 95) == 19.0
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 95) is None
