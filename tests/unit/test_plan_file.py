"""The plan file: the shipped example validates, and each kind of mistake gets one line saying where and what."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from erp_models.project.criteria import CriterionError, judge, parse_criterion
from erp_models.project.spec import PlanError, load_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
Edit = Callable[[dict[str, Any]], None]


def plan_with(tmp_path: Path, edit: Edit) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_the_example_plan_carries_the_four_phases_in_chinese_and_english() -> None:
    plan, sha = load_plan(EXAMPLE)
    assert [p.name_zh for p in plan.phases] == ["需求分析与规划", "系统设计与开发", "测试与部署", "后期维护与优化"]
    assert all(p.name_en for p in plan.phases)
    assert len(sha) == 64
    assert any(m.approval == "required" for m in plan.milestones)


def set_milestone_criterion(expression: str) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        raw["milestones"][2]["criteria"][1] = expression
    return edit


@pytest.mark.parametrize(("expression", "expected"), [
    ("migration.sales_orders.quarantine_rate <== 0.005", "cannot parse"),
    ("migration.sales_orders.quarantine_rate <= lots", "cannot parse"),
    ("quarantine_rate <= 0.005", "cannot parse"),
    ("migration.sales_orders.quarantine_rate <= 0.005; drop table", "cannot parse"),
    ("tests.integration.passrate == 1.0", "unknown evidence key 'tests.integration.passrate'"),
])
def test_a_malformed_or_unknown_criterion_names_the_milestone_and_the_criterion(
    tmp_path: Path, expression: str, expected: str
) -> None:
    message = error_of(plan_with(tmp_path, set_milestone_criterion(expression)))
    assert f"milestone M3 criterion {expression!r}" in message
    assert expected in message


def test_vendor_weights_that_do_not_sum_to_one_are_refused(tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["vendors"]["criteria"]["service"] = 0.3
    message = error_of(plan_with(tmp_path, edit))
    assert "vendors" in message and "criteria weights sum to 1.1" in message and "not 1" in message


def test_a_vendor_missing_a_score_is_named(tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        del raw["vendors"]["candidates"][1]["scores"]["service"]
    assert "vendor '用友 YonSuite' has no score for service" in error_of(plan_with(tmp_path, edit))


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda raw: raw["phases"][1].update(ends_on="2026-10-01"), "phase build ends on 2026-10-01, before it starts"),
    (lambda raw: raw["phases"][3].update(ends_on="2027-12-31"), "phase operate (2027-05-01 to 2027-12-31) lies "
                                                                "outside the project"),
    (lambda raw: raw["milestones"][0].update(due_on="2027-03-01"), "milestone M1 is due on 2027-03-01, outside its "
                                                                   "phase plan"),
    (lambda raw: raw["project"].update(ends_on="2026-01-01"), "project ends on 2026-01-01, before it starts"),
    (lambda raw: raw["budget"]["spend"][0].update(spent_on="2030-01-01"), "spend on 2030-01-01 lies outside"),
])
def test_wrong_dates_get_one_clear_line(tmp_path: Path, edit: Edit, expected: str) -> None:
    assert expected in error_of(plan_with(tmp_path, edit))


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda raw: raw["milestones"][0].update(phase="design"), "milestone M1 names unknown phase 'design'"),
    (lambda raw: raw["risks"][0].update(trigger="M99"), "risk RK1 is triggered by unknown milestone 'M99'"),
    (lambda raw: raw["budget"]["spend"][0].update(category="travel"), "books to plan/travel, which has no budget"),
    (lambda raw: raw["milestones"].append(dict(raw["milestones"][0])), "milestone M1 is listed twice"),
    (lambda raw: raw["risks"][0].update(likelihood=7), "risks.0.likelihood"),
    (lambda raw: raw.update(sponsor="CEO"), "sponsor: Extra inputs are not permitted"),
])
def test_broken_references_and_fields_are_named(tmp_path: Path, edit: Edit, expected: str) -> None:
    assert expected in error_of(plan_with(tmp_path, edit))


def test_an_unreadable_plan_file_is_one_line(tmp_path: Path) -> None:
    assert "plan file not found" in error_of(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("project: [unclosed\n", encoding="utf-8")
    assert "not valid YAML" in error_of(broken)


@pytest.mark.parametrize(("expression", "value", "passed"), [
    ("migration.sales_orders.quarantine_rate <= 0.005", 0.004, True),
    ("migration.sales_orders.quarantine_rate <= 0.005", 0.0051, False),
    ("tests.integration.pass_rate == 1.0", 1.0, True),
    ("tests.integration.pass_rate == 1.0", 0.999, False),
    ("loadtest.smoke.place_order.p95_ms < 300", 300.0, False),
    ("feedback.open_critical != 0", 2.0, True),
    ("training.attendance_rate >= .8", 0.8, True),
])
def test_criteria_compare_the_evidence_value_with_the_threshold(expression: str, value: float, passed: bool) -> None:
    criterion = parse_criterion(expression)
    verdict = judge(criterion, {criterion.key: value})
    assert (verdict.value, verdict.passed) == (value, passed)


def test_missing_evidence_never_passes_a_criterion() -> None:
    verdict = judge(parse_criterion("feedback.open_critical == 0"), {"feedback.open_major": 0.0})
    assert verdict.value is None and verdict.passed is False


def test_the_parser_refuses_what_is_not_one_comparison() -> None:
    for bad in ("", "1 == 1", "__import__('os').system('x') == 0", "a.b == 1 and c.d == 2"):
        with pytest.raises(CriterionError):
            parse_criterion(bad)
