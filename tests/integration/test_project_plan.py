"""Loading the implementation plan: an upsert by code that keeps sign-offs, and the reports read from it."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_models.enums import MilestoneStatus
from erp_models.project import models as m
from erp_models.project import spec
from erp_models.project.gates import decide_milestone, evaluate_milestones
from erp_models.project.loading import LoadedPlan, load_plan
from erp_models.project.reporting import budget_burn, plan_evidence, rank_vendors

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


def example() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return raw


def load_example(session: Session) -> LoadedPlan:
    plan, sha = spec.load_plan(EXAMPLE)
    return load_plan(session, plan=plan, sha256=sha)


def rows(session: Session, model: Any, project_id: int) -> list[Any]:
    return list(session.scalars(select(model).where(model.project_id == project_id).order_by(model.id)))


def fen(amount: float) -> int:
    return int(Decimal(str(amount)) * 100)


def test_loading_the_example_plan_creates_the_project_with_its_phases_milestones_and_risks(session: Session) -> None:
    raw, loaded = example(), load_example(session)
    assert loaded.changed and loaded.project_code == raw["project"]["code"]
    phases = sorted(rows(session, m.Phase, loaded.project_id), key=lambda p: p.seq)
    assert [(p.code, p.name_zh) for p in phases] == [(p["code"], p["name_zh"]) for p in raw["phases"]]
    assert [p.name_zh for p in phases] == ["需求分析与规划", "系统设计与开发", "测试与部署", "后期维护与优化"]
    milestones = {ms.code: ms for ms in rows(session, m.Milestone, loaded.project_id)}
    assert sorted(milestones) == [f"M{i}" for i in range(1, 9)]
    assert {ms.status for ms in milestones.values()} == {MilestoneStatus.PENDING}
    assert milestones["M1"].approval_required and not milestones["M2"].approval_required
    assert milestones["M3"].criteria == raw["milestones"][2]["criteria"]
    risks = rows(session, m.Risk, loaded.project_id)
    assert {r.code: r.trigger_milestone for r in risks} == {r["code"]: r["trigger"] for r in raw["risks"]}
    lines = rows(session, m.BudgetLine, loaded.project_id)
    assert sum(line.amount for line in lines) == sum(fen(line["amount"]) for line in raw["budget"]["lines"])
    assert len(rows(session, m.Requirement, loaded.project_id)) == len(raw["scope"]["requirements"]) == 8
    assert loaded.counts == {"phases": 4, "milestones": 8, "risks": 6, "vendors": 4, "budget_lines": 8,
                             "spend_entries": 5, "requirements": 8}


def test_reloading_the_same_file_changes_nothing(session: Session) -> None:
    first = load_example(session)
    spend_ids = session.scalars(select(m.SpendEntry.id).order_by(m.SpendEntry.id)).all()
    again = load_example(session)
    assert (again.changed, again.project_id) == (False, first.project_id)
    # a real reload would have deleted and re-added the spend entries under new ids
    assert session.scalars(select(m.SpendEntry.id).order_by(m.SpendEntry.id)).all() == spend_ids


def test_a_changed_plan_updates_rows_and_drops_removed_ones_but_keeps_sign_offs(session: Session) -> None:
    first = load_example(session)
    evaluate_milestones(session, project_id=first.project_id, evidence={"vendors.ranked": 4.0},
                        today=date(2026, 9, 1))
    decide_milestone(session, project_id=first.project_id, code="M1", approved=True, decided_by="sponsor")
    raw = example()
    raw["risks"] = [r for r in raw["risks"] if r["code"] != "RK5"]
    consulting = next(line for line in raw["budget"]["lines"] if line["category"] == "consulting")
    consulting["amount"] = 95000.00
    raw["milestones"][0]["name"] = "选型签约 Vendor contracted"
    sha = hashlib.sha256(yaml.safe_dump(raw, allow_unicode=True).encode()).hexdigest()

    reloaded = load_plan(session, plan=spec.Plan.model_validate(raw), sha256=sha)

    assert (reloaded.changed, reloaded.project_id) == (True, first.project_id)
    assert sorted(r.code for r in rows(session, m.Risk, first.project_id)) == sorted(
        r["code"] for r in raw["risks"])  # RK5 is gone
    amounts = {line.category: line.amount for line in rows(session, m.BudgetLine, first.project_id)}
    assert amounts["consulting"] == 9_500_000
    m1 = session.scalars(select(m.Milestone).where(m.Milestone.project_id == first.project_id,
                                                   m.Milestone.code == "M1")).one()
    assert (m1.name, m1.status, m1.decided_by) == ("选型签约 Vendor contracted", MilestoneStatus.APPROVED, "sponsor")


def test_vendors_are_ranked_by_their_weighted_score(session: Session) -> None:
    vendors = example()["vendors"]
    weights = {name: Decimal(str(w)) for name, w in vendors["criteria"].items()}
    expected = {c["name"]: sum((weights[k] * Decimal(str(s)) for k, s in c["scores"].items()), Decimal(0))
                for c in vendors["candidates"]}
    best_first = sorted(expected, key=lambda name: -expected[name])

    ranked = rank_vendors(session, project_id=load_example(session).project_id)

    assert [(r.rank, r.name) for r in ranked] == list(enumerate(best_first, start=1))
    assert [r.total for r in ranked] == [expected[name].quantize(Decimal("0.01")) for name in best_first]
    assert best_first[0] == "金蝶云星空 Kingdee Cloud Galaxy"


def test_budget_burn_sums_the_spend_of_each_phase_and_the_cumulative_spend_ends_at_the_total(
    session: Session,
) -> None:
    raw = example()
    budget: dict[str, int] = defaultdict(int)
    spent: dict[str, int] = defaultdict(int)
    for line in raw["budget"]["lines"]:
        budget[line["phase"]] += fen(line["amount"])
    for entry in raw["budget"]["spend"]:
        spent[entry["phase"]] += fen(entry["amount"])

    burn = budget_burn(session, project_id=load_example(session).project_id)

    assert [(p.phase_code, p.budget_minor, p.spent_minor) for p in burn.phases] == [
        (p["code"], budget[p["code"]], spent[p["code"]]) for p in raw["phases"]]
    assert burn.total_budget_minor == sum(budget.values())
    days = [day for day, _ in burn.spend_over_time]
    assert days == sorted({entry["spent_on"] for entry in raw["budget"]["spend"]})
    running = [total for _, total in burn.spend_over_time]
    assert running == sorted(running) and running[-1] == sum(spent.values())


def test_the_plan_measures_its_ranked_vendors_and_its_burn_ratio(session: Session) -> None:
    raw = example()
    total = sum(fen(line["amount"]) for line in raw["budget"]["lines"])
    spent = sum(fen(entry["amount"]) for entry in raw["budget"]["spend"])

    evidence = plan_evidence(session, project_id=load_example(session).project_id)

    assert evidence["vendors.ranked"] == len(raw["vendors"]["candidates"]) == 4
    assert evidence["budget.burn_ratio"] == spent / total
    assert evidence["budget.spent"] == spent / 100
    assert evidence["budget.overrun_phases"] == 0
