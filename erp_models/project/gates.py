"""Milestone gates: every criterion judged on the judged evidence, sign-offs, and the risks a failure raises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from erp_models.enums import MilestoneStatus, RiskStatus
from erp_models.errors import InvalidTransition, NotFound
from erp_models.project import models as m
from erp_models.project.criteria import CriterionVerdict, Provenance, judge, parse_criterion

DECIDABLE = {MilestoneStatus.AWAITING_APPROVAL, MilestoneStatus.REJECTED}
SIGNED_OFF = {MilestoneStatus.APPROVED, MilestoneStatus.REJECTED}


class MilestoneVerdict(BaseModel):
    """A milestone as judged: its status and each criterion with the evidence value it saw."""

    code: str
    name: str
    owner: str
    due_on: date
    status: MilestoneStatus
    approval_required: bool
    criteria: list[CriterionVerdict]
    raised_risks: list[str] = Field(default_factory=list)


def judged_status(criteria: list[CriterionVerdict], *, due_on: date, today: date, approval_required: bool,
                  current: MilestoneStatus) -> MilestoneStatus:
    """Failing evidence fails a gate at once; missing evidence only once the milestone is overdue."""
    if all(c.passed for c in criteria):
        if not approval_required:
            return MilestoneStatus.PASSED
        return current if current in SIGNED_OFF else MilestoneStatus.AWAITING_APPROVAL
    if any(c.value is not None and not c.passed for c in criteria) or due_on < today:
        return MilestoneStatus.FAILED
    return MilestoneStatus.PENDING


def evaluate_milestones(session: Session, *, project_id: int, evidence: Mapping[str, float], today: date,
                        provenance: Mapping[str, Provenance] | None = None) -> list[MilestoneVerdict]:
    """Judge every milestone, store the verdicts (with the run and time of each value seen, from
    `provenance`), and raise the open risks linked to failed gates."""
    risks = list(session.scalars(select(m.Risk).where(m.Risk.project_id == project_id)))
    verdicts = []
    now = datetime.now(UTC)
    for milestone in session.scalars(_by_due_date(project_id).with_for_update()):
        criteria = [judge(parse_criterion(expression), evidence, provenance) for expression in milestone.criteria]
        status = judged_status(criteria, due_on=milestone.due_on, today=today,
                               approval_required=milestone.approval_required, current=milestone.status)
        milestone.status, milestone.evaluated_at = status, now
        milestone.verdicts = [asdict(c) for c in criteria]
        raised = []
        if status is MilestoneStatus.FAILED:
            for risk in risks:
                if risk.trigger_milestone == milestone.code and risk.status is RiskStatus.OPEN:
                    risk.status, risk.raised_at = RiskStatus.RAISED, now
                    raised.append(risk.code)
        verdicts.append(MilestoneVerdict(code=milestone.code, name=milestone.name, owner=milestone.owner,
                                         due_on=milestone.due_on, status=status,
                                         approval_required=milestone.approval_required, criteria=criteria,
                                         raised_risks=raised))
    session.flush()
    return verdicts


def decide_milestone(session: Session, *, project_id: int, code: str, approved: bool, decided_by: str,
                     note: str = "") -> MilestoneStatus:
    """A person's sign-off on a milestone whose criteria hold."""
    milestone = session.scalar(select(m.Milestone).where(m.Milestone.project_id == project_id,
                                                         m.Milestone.code == code).with_for_update())
    if milestone is None:
        raise NotFound(f"no milestone {code!r} in this project")
    if milestone.status not in DECIDABLE:
        raise InvalidTransition(f"milestone {code} is {milestone.status.value}: only a milestone awaiting "
                                "approval (its criteria all hold) can be signed off")
    milestone.status = MilestoneStatus.APPROVED if approved else MilestoneStatus.REJECTED
    milestone.decided_by, milestone.decided_at, milestone.decision_note = decided_by, datetime.now(UTC), note or None
    session.flush()
    return milestone.status


def _by_due_date(project_id: int) -> Select[Any]:
    return select(m.Milestone).where(m.Milestone.project_id == project_id).order_by(m.Milestone.due_on,
                                                                                   m.Milestone.code)


def set_risk_status(session: Session, *, project_id: int, code: str, status: RiskStatus) -> RiskStatus:
    """The risk owner's update: a raised risk is mitigated or closed, or reopened."""
    risk = session.scalar(select(m.Risk).where(m.Risk.project_id == project_id, m.Risk.code == code)
                          .with_for_update())
    if risk is None:
        raise NotFound(f"no risk {code!r} in this project")
    risk.status = status
    if status is RiskStatus.OPEN:
        risk.raised_at = None
    session.flush()
    return risk.status


def stored_criteria(milestone: m.Milestone) -> list[CriterionVerdict]:
    """The criteria as last judged; before any judgement, each without evidence."""
    if milestone.verdicts:
        return [CriterionVerdict(**verdict) for verdict in milestone.verdicts]
    return [CriterionVerdict(expression=c, key=parse_criterion(c).key, value=None, passed=False)
            for c in milestone.criteria]


def milestone_standing(session: Session, *, project_id: int) -> list[MilestoneVerdict]:
    """Every milestone as the last gate evaluation (or sign-off) left it, by due date."""
    return [MilestoneVerdict(code=ms.code, name=ms.name, owner=ms.owner, due_on=ms.due_on, status=ms.status,
                             approval_required=ms.approval_required, criteria=stored_criteria(ms))
            for ms in session.scalars(_by_due_date(project_id))]


def raise_risk(session: Session, *, project_id: int, code: str, title: str, owner: str, mitigation: str,
               likelihood: int = 4, impact: int = 5) -> RiskStatus:
    """Raise a risk that a run found outside the plan file (a failed go-live post-check): added to the register,
    or raised again when the code is there already. The caller commits."""
    risk = session.scalar(select(m.Risk).where(m.Risk.project_id == project_id, m.Risk.code == code))
    if risk is None:
        risk = m.Risk(project_id=project_id, code=code, title=title[:200], likelihood=likelihood, impact=impact,
                      mitigation=mitigation, owner=owner[:64])
        session.add(risk)
    risk.status, risk.raised_at = RiskStatus.RAISED, datetime.now(UTC)
    session.flush()
    return risk.status
