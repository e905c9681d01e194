"""The plan's standing: ranked vendors, budget burn, timeline and requirement coverage, plus their evidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp_models.enums import MilestoneStatus
from erp_models.project import models as m
from erp_models.project.status import BudgetBurn, PhaseBudget, TimelineItem

# The modules erpops itself provides; a requirement in any other module needs a third-party system.
ERP_MODULES = frozenset({"catalogue", "procurement", "inventory", "sales", "channels", "security", "audit",
                         "integration", "migration", "reporting"})
MET = {MilestoneStatus.PASSED, MilestoneStatus.APPROVED}


@dataclass(frozen=True)
class VendorRank:
    rank: int
    name: str
    total: Decimal  # Σ weight × score, out of 10
    scores: dict[str, Decimal]


def rank_vendors(session: Session, *, project_id: int) -> list[VendorRank]:
    rows = session.execute(
        select(m.Vendor.name, m.VendorScore.criterion, m.VendorScore.weight, m.VendorScore.score)
        .join(m.VendorScore, m.VendorScore.vendor_id == m.Vendor.id).where(m.Vendor.project_id == project_id)
    ).all()
    totals: dict[str, Decimal] = defaultdict(Decimal)
    scores: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for name, criterion, weight, score in rows:
        totals[name] += weight * score
        scores[name][criterion] = score
    ordered = sorted(totals, key=lambda name: (-totals[name], name))
    return [VendorRank(i, name, totals[name].quantize(Decimal("0.01")), scores[name])
            for i, name in enumerate(ordered, start=1)]


def budget_burn(session: Session, *, project_id: int) -> BudgetBurn:
    project = session.get_one(m.Project, project_id)
    phases = list(session.scalars(select(m.Phase).where(m.Phase.project_id == project_id).order_by(m.Phase.seq)))
    budget = dict(session.execute(
        select(m.BudgetLine.phase_id, func.sum(m.BudgetLine.amount)).where(m.BudgetLine.project_id == project_id)
        .group_by(m.BudgetLine.phase_id)).all())
    spend_rows = session.execute(
        select(m.BudgetLine.phase_id, m.SpendEntry.spent_on, m.SpendEntry.amount)
        .join(m.SpendEntry, m.SpendEntry.budget_line_id == m.BudgetLine.id)
        .where(m.BudgetLine.project_id == project_id).order_by(m.SpendEntry.spent_on)).all()
    spent: dict[int | None, int] = defaultdict(int)
    by_day: dict[date, int] = defaultdict(int)
    for phase_id, day, amount in spend_rows:
        spent[phase_id] += amount
        by_day[day] += amount
    cumulative, running = [], 0
    for day in sorted(by_day):
        running += by_day[day]
        cumulative.append((day, running))
    return BudgetBurn(
        currency=project.currency, total_budget_minor=int(sum(budget.values())), starts_on=project.starts_on,
        ends_on=project.ends_on, spend_over_time=cumulative,
        phases=[PhaseBudget(p.code, f"{p.name_zh} {p.name_en}", int(budget.get(p.id, 0)), spent[p.id],
                            project.currency) for p in phases])


def timeline(session: Session, *, project_id: int, today: date) -> list[TimelineItem]:
    phases = list(session.scalars(select(m.Phase).where(m.Phase.project_id == project_id).order_by(m.Phase.seq)))
    milestones = list(session.scalars(select(m.Milestone).where(m.Milestone.project_id == project_id)
                                      .order_by(m.Milestone.due_on, m.Milestone.code)))
    items = []
    for phase in phases:
        own = [ms for ms in milestones if ms.phase_id == phase.id]
        met = all(ms.status in MET for ms in own)
        if phase.actual_end is not None or (phase.planned_end < today and met):
            status = "done"
        elif phase.planned_end < today:
            status = "late"
        else:
            status = "in_progress" if phase.planned_start <= today else "planned"
        items.append(TimelineItem(phase.code, f"{phase.name_zh} {phase.name_en}", "phase", phase.planned_start,
                                  phase.planned_end, status))
        items += [TimelineItem(ms.code, ms.name, "milestone", ms.due_on, ms.due_on, ms.status.value, phase.code)
                  for ms in own]
    return items


def plan_evidence(session: Session, *, project_id: int) -> dict[str, float]:
    """What the plan itself measures: vendors ranked, budget burn, requirement coverage."""
    vendors = rank_vendors(session, project_id=project_id)
    burn = budget_burn(session, project_id=project_id)
    spent = sum(p.spent_minor for p in burn.phases)
    modules = session.scalars(select(m.Requirement.module).where(m.Requirement.project_id == project_id)).all()
    evidence = {
        "vendors.ranked": float(len(vendors)),
        "budget.spent": spent / 100,
        "budget.burn_ratio": spent / burn.total_budget_minor if burn.total_budget_minor else 0.0,
        "budget.overrun_phases": float(sum(p.spent_minor > p.budget_minor for p in burn.phases)),
    }
    if vendors:
        evidence["vendors.top_score"] = float(vendors[0].total)
    if modules:
        evidence["requirements.coverage"] = sum(module in ERP_MODULES for module in modules) / len(modules)
    return evidence
