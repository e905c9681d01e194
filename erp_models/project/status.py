"""What a project manager reads about the plan: the timeline, the budget burn and the milestone verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class TimelineItem:
    """One bar of the Gantt chart: a phase (a span) or a milestone (a due date, start == end)."""

    code: str
    name: str
    kind: str  # "phase" | "milestone"
    start: date
    end: date
    status: str  # phase: planned | in_progress | done | late; milestone: pending | passed | failed | approved
    phase_code: str | None = None


@dataclass(frozen=True)
class PhaseBudget:
    """The budget of one phase against what has been spent on it, in minor units of `currency`."""

    phase_code: str
    phase_name: str
    budget_minor: int
    spent_minor: int
    currency: str = "CNY"


@dataclass(frozen=True)
class BudgetBurn:
    """Budget per phase plus the cumulative spend over time (for the burn-up chart)."""

    currency: str
    total_budget_minor: int
    starts_on: date
    ends_on: date
    phases: list[PhaseBudget] = field(default_factory=list)
    # (day, cumulative spend up to and including that day), sorted by day
    spend_over_time: list[tuple[date, int]] = field(default_factory=list)
