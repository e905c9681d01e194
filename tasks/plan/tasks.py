"""Plan tasks: each opens its own unit of work and returns a small serializable summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import task
from pydantic import BaseModel

from erp_models.project import gates, loading, reporting
from erp_models.project.evidence import judged_evidence, judged_provenance, record_evidence
from erp_models.project.gates import MilestoneVerdict
from erp_models.project.spec import load_plan
from infra.db import UnitOfWork
from tasks.plan.snapshot import PlanSnapshot, take_snapshot


class PlanLoaded(BaseModel):
    project_code: str
    changed: bool
    counts: dict[str, int]
    evidence: dict[str, float]


@task
def load_plan_file(path: str, source: str) -> PlanLoaded:
    """Validate the plan file, load it, and record what the plan itself measures as evidence."""
    plan, sha256 = load_plan(Path(path))
    with UnitOfWork() as uow:
        loaded = loading.load_plan(uow.session, plan=plan, sha256=sha256)
        evidence = reporting.plan_evidence(uow.session, project_id=loaded.project_id)
        record_evidence(uow.session, source=source, values=evidence, detail={"plan": path})
        uow.commit()
    return PlanLoaded(project_code=loaded.project_code, changed=loaded.changed, counts=loaded.counts,
                      evidence=evidence)


@task
def evaluate_gates(project: str | None, today: date, source: str) -> list[MilestoneVerdict]:
    """Judge every milestone on the latest evidence; failed gates raise their linked risks."""
    with UnitOfWork() as uow:
        found = loading.project_by_code(uow.session, project)
        record_evidence(uow.session, source=source, values=reporting.plan_evidence(uow.session, project_id=found.id))
        verdicts = gates.evaluate_milestones(uow.session, project_id=found.id, evidence=judged_evidence(uow.session),
                                             today=today, provenance=judged_provenance(uow.session))
        uow.commit()
    return verdicts


@task
def record_decision(project: str | None, milestone: str, approved: bool, decided_by: str, note: str) -> str:
    """Store a person's sign-off; returns the milestone's new status."""
    with UnitOfWork() as uow:
        found = loading.project_by_code(uow.session, project)
        status = gates.decide_milestone(uow.session, project_id=found.id, code=milestone, approved=approved,
                                        decided_by=decided_by, note=note)
        uow.commit()
    return status.value


@task
def snapshot_plan(project: str | None, today: date) -> PlanSnapshot:
    """Everything the status report shows, read in one transaction."""
    with UnitOfWork() as uow:
        return take_snapshot(uow.session, project=project, today=today)


class ChartFiles(BaseModel):
    gantt: str
    budget: str


@task
def render_charts(snapshot: PlanSnapshot, out_dir: str | None) -> ChartFiles:
    """The milestone timeline (Gantt) and the budget burn as PNG files under `out_dir` (or the state dir)."""
    from infra.settings import get_settings
    from tasks.charts import render_budget_burn, render_gantt

    folder = (Path(out_dir) if out_dir else get_settings().state_dir / "reports") / snapshot.project_code
    folder.mkdir(parents=True, exist_ok=True)
    gantt = render_gantt(snapshot.timeline, today=snapshot.today, out=folder / "milestone-timeline.png",
                         title=f"{snapshot.project_code}: phases and milestones")
    budget = render_budget_burn(snapshot.budget, today=snapshot.today, out=folder / "budget-burn.png",
                                title=f"{snapshot.project_code}: budget burn")
    return ChartFiles(gantt=str(gantt.resolve()), budget=str(budget.resolve()))
