"""Checks across a plan's sections: references between them and dates within the project."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from erp_models.project.spec import Plan


def unique(kind: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"{kind} {code} is listed twice")
        seen.add(code)


def check_plan(plan: Plan) -> None:
    """Raise ValueError (one line) on the first broken reference or out-of-range date."""
    project = plan.project
    if project.ends_on < project.starts_on:
        raise ValueError(f"project ends on {project.ends_on}, before it starts on {project.starts_on}")
    phases = {p.code: p for p in plan.phases}
    for phase in plan.phases:
        if phase.starts_on < project.starts_on or phase.ends_on > project.ends_on:
            raise ValueError(f"phase {phase.code} ({phase.starts_on} to {phase.ends_on}) lies outside the project "
                             f"({project.starts_on} to {project.ends_on})")
    unique("milestone", [m.code for m in plan.milestones])
    unique("risk", [r.code for r in plan.risks])
    unique("vendor", [v.name for v in plan.vendors.candidates])
    unique("requirement", [r.code for r in plan.scope.requirements])
    unique("budget line", [f"{line.phase}/{line.category}" for line in plan.budget.lines])
    for milestone in plan.milestones:
        owning = phases.get(milestone.phase)
        if owning is None:
            raise ValueError(f"milestone {milestone.code} names unknown phase {milestone.phase!r} "
                             f"(phases: {', '.join(phases)})")
        if not owning.starts_on <= milestone.due_on <= owning.ends_on:
            raise ValueError(f"milestone {milestone.code} is due on {milestone.due_on}, outside its phase "
                             f"{owning.code} ({owning.starts_on} to {owning.ends_on})")
    lines = {(line.phase, line.category) for line in plan.budget.lines}
    for line in plan.budget.lines:
        if line.phase not in phases:
            raise ValueError(f"budget line {line.phase}/{line.category} names unknown phase {line.phase!r}")
    for spend in plan.budget.spend:
        if (spend.phase, spend.category) not in lines:
            raise ValueError(f"spend of {spend.amount} on {spend.spent_on} books to {spend.phase}/{spend.category}, "
                             "which has no budget line")
        if not project.starts_on <= spend.spent_on <= project.ends_on:
            raise ValueError(f"spend on {spend.spent_on} lies outside the project dates")
    milestones = {m.code for m in plan.milestones}
    for risk in plan.risks:
        if risk.trigger is not None and risk.trigger not in milestones:
            raise ValueError(f"risk {risk.code} is triggered by unknown milestone {risk.trigger!r}")
    for requirement in plan.scope.requirements:
        if requirement.module not in plan.scope.modules:
            raise ValueError(f"requirement {requirement.code} is in module {requirement.module!r}, "
                             f"which is not in scope ({', '.join(plan.scope.modules)})")
