"""The feedback review's tasks: age the backlog against the SLA, then record the evidence and the incident.

Each opens its own unit of work and returns the `FeedbackReview` summary (ids and figures, no session)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

from prefect import task
from pydantic import BaseModel, Field

from erp_models.ops import feedback as domain
from erp_models.ops.feedback_review import SLA_CHECK
from erp_models.ops.feedback_review import record_review as record
from erp_models.ops.feedback_spec import FeedbackSpec
from erp_models.project.spec import load_plan
from infra.db import UnitOfWork


class ReviewStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class BacklogRow(BaseModel):
    id: int
    severity: str
    status: str
    module: str
    title: str
    owner: str | None
    milestone: str | None
    role: str | None
    created_at: datetime
    age_h: float
    sla_h: float | None
    due_at: datetime | None
    breached: bool
    overdue_h: float


class WeekRow(BaseModel):
    week: date
    opened: int
    resolved: int


class FeedbackReview(BaseModel):
    run_id: str
    reviewed_at: datetime
    status: ReviewStatus = ReviewStatus.PASSED
    reason: str | None = None
    sla_hours: dict[str, float]
    backlog: list[BacklogRow]
    breaches: list[int] = Field(description="ids of the items past their SLA, worst first")
    trend: list[WeekRow]
    evidence: dict[str, float] = Field(default_factory=dict)
    incident: str | None = Field(default=None, description="the feedback.sla incident: opened, updated or resolved")


def resolve_feedback_spec(plan_file: str | None) -> FeedbackSpec:
    """The plan's `operations.feedback` section (its defaults when absent); the built-in SLAs without a plan.
    A broken plan file raises PlanError, one line naming the file and the problem."""
    if plan_file is None:
        return FeedbackSpec()
    plan, _ = load_plan(Path(plan_file))
    return plan.operations.feedback


def _row(aged: domain.AgedItem) -> BacklogRow:
    i = aged.item
    return BacklogRow(id=i.id, severity=i.severity.value, status=i.status.value, module=i.module, title=i.title,
                      owner=i.owner, milestone=i.milestone, role=i.role, created_at=i.created_at,
                      age_h=round(aged.age_h, 2), sla_h=aged.sla_h, due_at=aged.due_at, breached=aged.breached,
                      overdue_h=round(aged.overdue_h, 2))


@task(task_run_name="age the feedback backlog")
def age_feedback(spec: FeedbackSpec, run_id: str) -> FeedbackReview:
    """Every unresolved item against its SLA, and the weekly opened/resolved trend."""
    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        items = domain.feedback_items(uow.session, since=domain.trend_start(now, spec.trend_weeks))
    aged = domain.backlog(items, spec, now)
    breaches = domain.sla_breaches(aged)
    return FeedbackReview(
        run_id=run_id, reviewed_at=now, sla_hours={s.value: h for s, h in spec.sla_hours.items()},
        backlog=[_row(a) for a in aged], breaches=[a.item.id for a in breaches],
        trend=[WeekRow(week=w.week, opened=w.opened, resolved=w.resolved)
               for w in domain.weekly_trend(items, weeks=spec.trend_weeks, now=now)],
        status=ReviewStatus.FAILED if breaches else ReviewStatus.PASSED,
        reason=domain.breach_summary(breaches) if breaches else None)


@task(task_run_name="record evidence and the SLA incident")
def record_review(review: FeedbackReview, spec: FeedbackSpec) -> FeedbackReview:
    """Evidence `feedback.*` and `feedback.sla_breaches` under the run's id; the `feedback.sla` incident opened,
    updated or resolved. The breaches are aged again inside the unit of work, from the same rows."""
    now = review.reviewed_at
    with UnitOfWork() as uow:
        items = domain.feedback_items(uow.session, since=now)
        breaches = [a for a in domain.backlog(items, spec, now) if a.item.id in set(review.breaches)]
        done = record(uow.session, breaches=breaches, run_id=uuid.UUID(review.run_id),
                      source=f"feedback-review flow run {review.run_id}")
        uow.commit()
    note: str | None = None
    if done.incident_id is not None:
        note = f"#{done.incident_id} {SLA_CHECK} {'opened' if done.incident_opened else 'updated'}"
    elif done.incidents_resolved:
        note = f"{SLA_CHECK} resolved (#{', #'.join(map(str, done.incidents_resolved))})"
    return review.model_copy(update={  # an item resolved in between no longer counts
        "evidence": done.evidence, "incident": note, "breaches": [a.item.id for a in breaches],
        "status": ReviewStatus.FAILED if breaches else ReviewStatus.PASSED,
        "reason": domain.breach_summary(breaches) if breaches else None})
