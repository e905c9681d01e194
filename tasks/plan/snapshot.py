"""A read-only snapshot of the plan's standing, small enough to pass between tasks and render as artifacts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_models.project import loading, reporting
from erp_models.project import models as m
from erp_models.project.gates import stored_criteria
from erp_models.project.status import BudgetBurn, TimelineItem


class PlanSnapshot(BaseModel):
    project_code: str
    project_name: str
    today: date
    milestones: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    vendors: list[dict[str, Any]]
    budget: BudgetBurn
    timeline: list[TimelineItem]


def take_snapshot(session: Session, *, project: str | None, today: date) -> PlanSnapshot:
    found = loading.project_by_code(session, project)
    phases = {p.id: p.code for p in session.scalars(select(m.Phase).where(m.Phase.project_id == found.id))}
    milestones = session.scalars(select(m.Milestone).where(m.Milestone.project_id == found.id)
                                 .order_by(m.Milestone.due_on, m.Milestone.code))
    risks = session.scalars(select(m.Risk).where(m.Risk.project_id == found.id).order_by(m.Risk.code))
    return PlanSnapshot(
        project_code=found.code, project_name=found.name, today=today,
        milestones=[{"code": ms.code, "name": ms.name, "phase": phases.get(ms.phase_id or 0), "owner": ms.owner,
                     "due_on": ms.due_on, "status": ms.status.value, "approval_required": ms.approval_required,
                     "criteria": [asdict(c) for c in stored_criteria(ms)],
                     "decided_by": ms.decided_by, "decision_note": ms.decision_note} for ms in milestones],
        risks=[{"code": r.code, "title": r.title, "likelihood": r.likelihood, "impact": r.impact,
                "exposure": r.likelihood * r.impact, "status": r.status.value, "owner": r.owner,
                "trigger": r.trigger_milestone, "mitigation": r.mitigation} for r in risks],
        vendors=[{"rank": v.rank, "name": v.name, "total": float(v.total),
                  **{k: float(s) for k, s in v.scores.items()}}
                 for v in reporting.rank_vendors(session, project_id=found.id)],
        budget=reporting.budget_burn(session, project_id=found.id),
        timeline=reporting.timeline(session, project_id=found.id, today=today),
    )
