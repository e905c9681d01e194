"""The feedback loop's review: every unresolved item aged against its severity's SLA, and the weekly trend of items
opened and resolved. The aging and the trend are pure functions of the items and a clock; `feedback_items` reads them.

An item breaches when it is still unresolved (open or triaged) past its creation plus its severity's SLA; triage does
not restart the clock. Suggestions have no SLA unless the plan gives them one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from erp_models.enums import FeedbackSeverity, FeedbackStatus
from erp_models.ops.feedback_spec import FeedbackSpec
from erp_models.project.delivery import OPEN
from erp_models.project.tracking import Feedback

SEVERITY_ORDER = {s: n for n, s in enumerate(FeedbackSeverity)}


@dataclass(frozen=True)
class FeedbackItem:
    """What the review needs of one feedback row."""

    id: int
    module: str
    severity: FeedbackSeverity
    status: FeedbackStatus
    title: str
    created_at: datetime
    owner: str | None = None
    milestone: str | None = None
    role: str | None = None
    resolved_at: datetime | None = None
    resolved_by_change: str | None = None

    @property
    def unresolved(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class AgedItem:
    item: FeedbackItem
    age_h: float  # creation until now, or until its resolution
    sla_h: float | None
    due_at: datetime | None
    breached: bool  # unresolved past its due time

    @property
    def overdue_h(self) -> float:
        return max(0.0, self.age_h - self.sla_h) if self.breached and self.sla_h is not None else 0.0


@dataclass(frozen=True)
class WeekCount:
    week: date  # the Monday that starts the ISO week
    opened: int
    resolved: int


def age_item(item: FeedbackItem, spec: FeedbackSpec, now: datetime) -> AgedItem:
    end = now if item.unresolved or item.resolved_at is None else item.resolved_at
    age_h = max(0.0, (end - item.created_at).total_seconds() / 3600)
    sla_h = spec.sla_for(item.severity)
    due_at = item.created_at + timedelta(hours=sla_h) if sla_h is not None else None
    return AgedItem(item=item, age_h=age_h, sla_h=sla_h, due_at=due_at,
                    breached=item.unresolved and due_at is not None and now > due_at)


def backlog(items: Iterable[FeedbackItem], spec: FeedbackSpec, now: datetime) -> list[AgedItem]:
    """The unresolved items aged, breaches first, then by severity, then oldest first."""
    aged = [age_item(i, spec, now) for i in items if i.unresolved]
    return sorted(aged, key=lambda a: (not a.breached, SEVERITY_ORDER[a.item.severity], a.item.created_at))


def sla_breaches(aged: Iterable[AgedItem]) -> list[AgedItem]:
    return [a for a in aged if a.breached]


def week_of(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def weekly_trend(items: Iterable[FeedbackItem], *, weeks: int, now: datetime) -> list[WeekCount]:
    """Items opened and resolved per ISO week, the last `weeks` weeks up to this one, oldest first (empty weeks
    included, so a chart's axis is time). A resolution is when an item became resolved or closed."""
    this_week = week_of(now)
    starts = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    opened = dict.fromkeys(starts, 0)
    resolved = dict.fromkeys(starts, 0)
    for item in items:
        if (week := week_of(item.created_at)) in opened:
            opened[week] += 1
        if item.resolved_at is not None and (week := week_of(item.resolved_at)) in resolved:
            resolved[week] += 1
    return [WeekCount(week=w, opened=opened[w], resolved=resolved[w]) for w in starts]


def feedback_items(session: Session, *, since: datetime) -> list[FeedbackItem]:
    """Every unresolved item, and every item created or resolved since `since` (for the trend)."""
    f = Feedback
    rows = session.scalars(select(f).where(or_(f.status.in_(OPEN), f.created_at >= since, f.resolved_at >= since))
                           .order_by(f.id))
    return [FeedbackItem(id=r.id, module=r.module, severity=r.severity, status=r.status, title=r.title,
                         created_at=r.created_at, owner=r.owner, milestone=r.milestone, role=r.role,
                         resolved_at=r.resolved_at, resolved_by_change=r.resolved_by_change) for r in rows]


def trend_start(now: datetime, weeks: int) -> datetime:
    monday = week_of(now) - timedelta(weeks=weeks - 1)
    return datetime(monday.year, monday.month, monday.day, tzinfo=now.tzinfo)


def breach_summary(breaches: Sequence[AgedItem], limit: int = 5) -> str:
    """One line: how many items are past their SLA, the worst few named."""
    shown = "; ".join(f"#{a.item.id} {a.item.severity.value} {a.overdue_h:.1f} h over"
                      + (f" (owner {a.item.owner})" if a.item.owner else " (no owner)") for a in breaches[:limit])
    more = f"; and {len(breaches) - limit} more" if len(breaches) > limit else ""
    return f"{len(breaches)} feedback item{'s' if len(breaches) != 1 else ''} past SLA: {shown}{more}"
