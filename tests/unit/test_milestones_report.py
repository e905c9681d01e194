"""The milestones artifact leads with its verdict: what needs attention and why, then each milestone's status and
reason (failing criteria first) in the first columns, so a 1280 px window shows them; the timeline comes last."""

from __future__ import annotations

from datetime import date
from typing import Any

from erp_models.project.status import BudgetBurn
from tasks.plan.report import milestones_markdown
from tasks.plan.snapshot import PlanSnapshot


def criterion(expression: str, value: float | None, passed: bool, run_id: str | None = None) -> dict[str, Any]:
    return {"expression": expression, "value": value, "passed": passed, "run_id": run_id}


def milestone(code: str, status: str, *criteria: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "name": f"{code} name", "phase": "P3", "owner": "王芳", "due_on": date(2027, 4, 30),
            "status": status, "criteria": list(criteria)}


def snapshot(*milestones: dict[str, Any]) -> PlanSnapshot:
    return PlanSnapshot(project_code="hz", project_name="杭州 ERP", today=date(2026, 12, 2),
                        milestones=list(milestones), risks=[], vendors=[], timeline=[],
                        budget=BudgetBurn(currency="CNY", total_budget_minor=0, starts_on=date(2026, 9, 1),
                                          ends_on=date(2027, 6, 30)))


def test_the_verdict_and_the_failing_criterion_come_first() -> None:
    markdown = milestones_markdown(snapshot(
        milestone("M6", "passed", criterion("tests.integration.pass_rate >= 0.95", 1.0, True)),
        milestone("M7", "failed", criterion("cutover.rehearsals.passed >= 2", 2, True),
                  criterion("migration.sales_orders.quarantine_rate <= 0.005", 0.0477, False, "run-1")),
        milestone("M1", "awaiting_approval", criterion("vendors.ranked >= 3", 4, True))), "data:image/png;base64,x")
    lines = markdown.splitlines()
    attention = lines.index("## Needs attention")
    assert lines[attention + 2] == ("- **M7** M7 name: **FAILED**, ✘ `migration.sales_orders.quarantine_rate <= "
                                    "0.005` → 0.0477 (run `run-1`)")
    assert lines[attention + 3].startswith("- **M1** M1 name: awaiting approval, every criterion holds: sign it off")
    assert "M6" not in "\n".join(lines[attention:attention + 4])
    m7 = next(line for line in lines if line.startswith("| **M7**"))
    cells = [c.strip() for c in m7.split("|")[1:-1]]
    assert cells[1] == "**FAILED**"
    assert cells[2].startswith("✘ `migration.sales_orders.quarantine_rate")  # the failing criterion first
    assert lines[-1] == "![Milestone timeline](data:image/png;base64,x)"


def test_nothing_needs_attention_when_every_milestone_is_met_or_pending() -> None:
    markdown = milestones_markdown(snapshot(
        milestone("M6", "passed", criterion("tests.integration.pass_rate >= 0.95", 1.0, True)),
        milestone("M8", "pending", criterion("feedback.open_major == 0", None, False))))
    assert "Needs attention" not in markdown and "| **M8** M8 name | pending |" in markdown


def test_a_sign_off_shows_who_and_their_note() -> None:
    signed = milestone("M1", "approved", criterion("vendors.ranked >= 3", 4, True))
    signed |= {"decided_by": "王芳", "decision_note": "合同已签"}
    assert "| **M1** M1 name | approved by 王芳: “合同已签” |" in milestones_markdown(snapshot(signed))
