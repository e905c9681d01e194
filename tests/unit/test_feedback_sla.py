"""Feedback aging: each open item against its severity's SLA, counted from creation; the weekly trend; the spec."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from erp_models.enums import FeedbackSeverity, FeedbackStatus
from erp_models.errors import Conflict, InvalidInput
from erp_models.ops.feedback import FeedbackItem, age_item, backlog, breach_summary, sla_breaches, weekly_trend
from erp_models.ops.feedback_spec import FeedbackSpec
from erp_models.project.feedback_links import checked_change, checked_role

NOW = datetime(2027, 7, 7, 12, 0, tzinfo=UTC)  # a Wednesday
SPEC = FeedbackSpec()


def item(n: int, severity: FeedbackSeverity, hours_ago: float, status: FeedbackStatus = FeedbackStatus.OPEN,
         resolved_hours_ago: float | None = None) -> FeedbackItem:
    return FeedbackItem(id=n, module="inventory", severity=severity, status=status, title=f"item {n}",
                        created_at=NOW - timedelta(hours=hours_ago),
                        resolved_at=None if resolved_hours_ago is None else NOW - timedelta(hours=resolved_hours_ago))


def test_the_default_slas_are_4_24_and_120_hours_and_suggestions_have_none() -> None:
    assert [SPEC.sla_for(s) for s in FeedbackSeverity] == [4.0, 24.0, 120.0, None]


def test_a_plan_replaces_the_sla_of_the_severities_it_names_only() -> None:
    spec = FeedbackSpec.model_validate({"sla_hours": {"critical": 2}})
    assert spec.sla_for(FeedbackSeverity.CRITICAL) == 2.0
    assert spec.sla_for(FeedbackSeverity.MAJOR) == 24.0


@pytest.mark.parametrize("sla", [{"critical": 0}, {"blocker": 4}])
def test_a_zero_sla_or_an_unknown_severity_is_refused(sla: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        FeedbackSpec.model_validate({"sla_hours": sla})


def test_an_open_critical_item_breaches_once_four_hours_have_passed() -> None:
    inside, past = age_item(item(1, FeedbackSeverity.CRITICAL, 3.5), SPEC, NOW), \
        age_item(item(2, FeedbackSeverity.CRITICAL, 5), SPEC, NOW)
    assert (inside.breached, inside.overdue_h) == (False, 0.0)
    assert (past.breached, past.age_h, past.overdue_h) == (True, 5.0, 1.0)
    assert past.due_at == NOW - timedelta(hours=1)


def test_triage_does_not_restart_the_clock() -> None:
    aged = age_item(item(1, FeedbackSeverity.MAJOR, 30, FeedbackStatus.TRIAGED), SPEC, NOW)
    assert aged.breached and aged.overdue_h == 6.0


def test_a_resolved_item_never_breaches_and_its_age_stops_at_its_resolution() -> None:
    aged = age_item(item(1, FeedbackSeverity.CRITICAL, 50, FeedbackStatus.RESOLVED, resolved_hours_ago=40), SPEC,
                    NOW)
    assert (aged.breached, aged.age_h) == (False, 10.0)


def test_a_suggestion_never_breaches_however_old() -> None:
    assert not age_item(item(1, FeedbackSeverity.SUGGESTION, 10_000), SPEC, NOW).breached


def test_the_backlog_lists_breaches_first_then_by_severity_and_age_and_leaves_resolved_items_out() -> None:
    items = [item(1, FeedbackSeverity.MINOR, 1), item(2, FeedbackSeverity.MAJOR, 25),
             item(3, FeedbackSeverity.CRITICAL, 1), item(4, FeedbackSeverity.MINOR, 200),
             item(5, FeedbackSeverity.CRITICAL, 9, FeedbackStatus.CLOSED, resolved_hours_ago=1)]
    aged = backlog(items, SPEC, NOW)
    assert [a.item.id for a in aged] == [2, 4, 3, 1]
    assert [a.item.id for a in sla_breaches(aged)] == [2, 4]
    assert breach_summary(sla_breaches(aged)).startswith("2 feedback items past SLA: #2 major 1.0 h over")


def test_the_trend_counts_items_opened_and_resolved_per_iso_week_empty_weeks_included() -> None:
    items = [item(1, FeedbackSeverity.MAJOR, 1), item(2, FeedbackSeverity.MINOR, 24 * 8,
                                                      FeedbackStatus.RESOLVED, resolved_hours_ago=2),
             item(3, FeedbackSeverity.MINOR, 24 * 100)]  # before the window
    weeks = weekly_trend(items, weeks=3, now=NOW)
    assert [(w.week, w.opened, w.resolved) for w in weeks] == [
        (date(2027, 6, 21), 0, 0), (date(2027, 6, 28), 1, 0), (date(2027, 7, 5), 1, 1)]


@pytest.mark.parametrize("change", ["v1.2.3", "v2.0.0-rc.1", "3f2a9c1", "3F2A9C1D" * 5,
                                    "0b7e5a52-7c4f-4e3b-9d35-8f0a2a3e8c11"])
def test_a_resolution_names_a_release_tag_a_git_sha_or_a_flow_run(change: str) -> None:
    assert checked_change(f" {change} ") in {change, change.lower()}


@pytest.mark.parametrize("change", ["fixed it", "1.2.3", "abc12", "v1.2", "0b7e5a52-7c4f"])
def test_a_resolution_without_a_recognisable_change_is_refused(change: str) -> None:
    with pytest.raises(InvalidInput):
        checked_change(change)


@pytest.mark.parametrize("change", [None, "", "  "])
def test_a_resolution_without_a_change_conflicts_with_resolving(change: str | None) -> None:
    with pytest.raises(Conflict, match="needs the change"):  # a rule between two fields: status and change
        checked_change(change)


def test_a_role_must_be_an_erp_role() -> None:
    assert checked_role("warehouse") == "warehouse"
    assert checked_role(None) is None
    with pytest.raises(InvalidInput, match="unknown role 'cashier'"):
        checked_role("cashier")


def test_the_trend_chart_is_a_png_of_the_weeks_it_was_given(tmp_path: Path) -> None:
    from PIL import Image

    from tasks.charts.feedback import feedback_trend_png

    weeks = [(w.week, w.opened, w.resolved) for w in weekly_trend(
        [item(1, FeedbackSeverity.MAJOR, 1), item(2, FeedbackSeverity.MINOR, 30, FeedbackStatus.RESOLVED, 2)],
        weeks=4, now=NOW)]
    out = feedback_trend_png(weeks, open_now=1, out=tmp_path / "trend.png")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (900, 400)
    assert feedback_trend_png(weeks, open_now=1, out=tmp_path / "again.png").read_bytes() == out.read_bytes()
