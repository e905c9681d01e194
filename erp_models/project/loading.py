"""Loading a validated plan into the project tables: an upsert by code, so reloading keeps gate verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from erp_models.errors import NotFound
from erp_models.project import models as m
from erp_models.project.spec import Plan


@dataclass(frozen=True)
class LoadedPlan:
    project_id: int
    project_code: str
    changed: bool  # False when the same file (by sha256) was already loaded
    counts: dict[str, int]


def minor_units(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def load_plan(session: Session, *, plan: Plan, sha256: str) -> LoadedPlan:
    """Create or update the project and everything under it; rows the plan no longer lists are removed."""
    spec = plan.project
    project = session.scalar(select(m.Project).where(m.Project.code == spec.code))
    counts = {"phases": len(plan.phases), "milestones": len(plan.milestones), "risks": len(plan.risks),
              "vendors": len(plan.vendors.candidates), "budget_lines": len(plan.budget.lines),
              "spend_entries": len(plan.budget.spend), "requirements": len(plan.scope.requirements)}
    if project is not None and project.document_sha256 == sha256:
        return LoadedPlan(project.id, project.code, False, counts)
    if project is None:
        project = m.Project(code=spec.code)
        session.add(project)
    project.name, project.currency = spec.name, spec.currency
    project.starts_on, project.ends_on = spec.starts_on, spec.ends_on
    project.goals = "\n".join(f"{g.code}: {g.statement}" for g in plan.goals)
    project.document, project.document_sha256 = plan.model_dump(mode="json"), sha256
    session.flush()
    phase_ids = _load_phases(session, project.id, plan)
    _load_milestones(session, project.id, plan, phase_ids)
    _load_risks(session, project.id, plan)
    _load_vendors(session, project.id, plan)
    _load_budget(session, project.id, plan, phase_ids)
    _load_requirements(session, project.id, plan)
    session.flush()
    return LoadedPlan(project.id, project.code, True, counts)


def _upsert(session: Session, model: type[Any], project_id: int, key: str,
            values: dict[str, dict[str, object]]) -> dict[str, Any]:
    """Rows of `model` under the project keyed by `key`: updated, added, and the unlisted ones deleted."""
    existing = {getattr(row, key): row for row in session.scalars(select(model).where(model.project_id == project_id))}
    for stale in set(existing) - set(values):
        session.delete(existing.pop(stale))
    for code, fields in values.items():
        row = existing.get(code)
        if row is None:
            row = existing[code] = model(project_id=project_id, **{key: code})
            session.add(row)
        for name, value in fields.items():
            setattr(row, name, value)
    session.flush()
    return existing


def _load_phases(session: Session, project_id: int, plan: Plan) -> dict[str, int]:
    rows = _upsert(session, m.Phase, project_id, "code", {
        p.code: {"seq": seq, "name_zh": p.name_zh, "name_en": p.name_en, "planned_start": p.starts_on,
                 "planned_end": p.ends_on} for seq, p in enumerate(plan.phases, start=1)})
    return {code: row.id for code, row in rows.items()}


def _load_milestones(session: Session, project_id: int, plan: Plan, phase_ids: dict[str, int]) -> None:
    _upsert(session, m.Milestone, project_id, "code", {
        ms.code: {"name": ms.name, "phase_id": phase_ids[ms.phase], "owner": ms.owner, "due_on": ms.due_on,
                  "approval_required": ms.approval == "required", "criteria": list(ms.criteria)}
        for ms in plan.milestones})


def _load_risks(session: Session, project_id: int, plan: Plan) -> None:
    _upsert(session, m.Risk, project_id, "code", {
        r.code: {"title": r.title, "likelihood": r.likelihood, "impact": r.impact, "mitigation": r.mitigation,
                 "owner": r.owner, "trigger_milestone": r.trigger} for r in plan.risks})


def _load_vendors(session: Session, project_id: int, plan: Plan) -> None:
    weights = plan.vendors.criteria
    vendors = _upsert(session, m.Vendor, project_id, "name", {v.name: {} for v in plan.vendors.candidates})
    vendor_ids = [row.id for row in vendors.values()]
    session.execute(delete(m.VendorScore).where(m.VendorScore.vendor_id.in_(vendor_ids)))
    for candidate in plan.vendors.candidates:
        session.add_all(m.VendorScore(vendor_id=vendors[candidate.name].id, criterion=criterion,
                                      weight=weights[criterion], score=score)
                        for criterion, score in candidate.scores.items())


def _load_budget(session: Session, project_id: int, plan: Plan, phase_ids: dict[str, int]) -> None:
    currency = plan.budget.currency
    existing = {(row.phase_id, row.category): row
                for row in session.scalars(select(m.BudgetLine).where(m.BudgetLine.project_id == project_id))}
    wanted = {(phase_ids[line.phase], line.category): line for line in plan.budget.lines}
    for stale in set(existing) - set(wanted):
        session.delete(existing.pop(stale))
    for key, line in wanted.items():
        row = existing.get(key)
        if row is None:
            row = existing[key] = m.BudgetLine(project_id=project_id, phase_id=key[0], category=key[1])
            session.add(row)
        row.amount, row.currency = minor_units(line.amount), currency
    session.flush()
    line_ids = [row.id for row in existing.values()]
    session.execute(delete(m.SpendEntry).where(m.SpendEntry.budget_line_id.in_(line_ids)))
    session.add_all(m.SpendEntry(budget_line_id=existing[(phase_ids[s.phase], s.category)].id,
                                 amount=minor_units(s.amount), currency=currency, spent_on=s.spent_on,
                                 description=s.description) for s in plan.budget.spend)


def _load_requirements(session: Session, project_id: int, plan: Plan) -> None:
    _upsert(session, m.Requirement, project_id, "code", {
        r.code: {"title": r.title, "module": r.module, "priority": r.priority} for r in plan.scope.requirements})


def project_by_code(session: Session, code: str | None) -> m.Project:
    """The named project, or the most recently created one when no code is given."""
    query = select(m.Project).order_by(m.Project.id.desc()).limit(1)
    if code is not None:
        query = select(m.Project).where(m.Project.code == code)
    project = session.scalar(query)
    if project is None:
        raise NotFound(f"no project {code!r} is loaded" if code else
                       "no plan is loaded yet: run `erpops plan load PLAN.yaml` first")
    return project
