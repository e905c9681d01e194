"""Milestone gates judged on recorded evidence: passing, sign-off, failure raising risks, and overdue gates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from erp_models.enums import MilestoneStatus, RiskStatus
from erp_models.errors import InvalidTransition, NotFound
from erp_models.project import models as m
from erp_models.project import spec
from erp_models.project.evidence import judged_evidence, record_evidence
from erp_models.project.gates import MilestoneVerdict, decide_milestone, evaluate_milestones
from erp_models.project.loading import load_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
BEFORE_ANY_DUE_DATE = date(2026, 9, 1)
M3_HOLDS = {"migration.run.passed": 1.0, "migration.sales_orders.quarantine_rate": 0.01,
            "migration.sales_orders.reconciled": 1.0}


@pytest.fixture
def project_id(session: Session) -> int:
    # The shared test database keeps evidence that other tests committed (the API fuzzing reports feedback);
    # emptied inside this test's rolled-back transaction, the gates see only what the test records.
    session.execute(delete(m.Evidence))
    plan, sha = spec.load_plan(EXAMPLE)
    return load_plan(session, plan=plan, sha256=sha).project_id


def evaluate(session: Session, project_id: int, today: date = BEFORE_ANY_DUE_DATE) -> dict[str, MilestoneVerdict]:
    verdicts = evaluate_milestones(session, project_id=project_id, evidence=judged_evidence(session), today=today)
    return {v.code: v for v in verdicts}


def risk(session: Session, project_id: int, code: str) -> m.Risk:
    return session.scalars(select(m.Risk).where(m.Risk.project_id == project_id, m.Risk.code == code)).one()


def stored_status(session: Session, project_id: int, code: str) -> MilestoneStatus:
    return session.scalars(select(m.Milestone.status).where(m.Milestone.project_id == project_id,
                                                            m.Milestone.code == code)).one()


def test_a_milestone_whose_criteria_all_hold_passes(session: Session, project_id: int) -> None:
    record_evidence(session, source="test", values=M3_HOLDS)
    verdicts = evaluate(session, project_id)
    assert verdicts["M3"].status is MilestoneStatus.PASSED
    assert all(c.passed for c in verdicts["M3"].criteria)
    assert stored_status(session, project_id, "M3") is MilestoneStatus.PASSED
    assert verdicts["M6"].status is MilestoneStatus.PENDING  # nothing recorded for it yet


def test_a_milestone_needing_approval_waits_for_a_sign_off_and_is_approved_once(
    session: Session, project_id: int,
) -> None:
    record_evidence(session, source="plan", values={"vendors.ranked": 4})
    assert evaluate(session, project_id)["M1"].status is MilestoneStatus.AWAITING_APPROVAL
    decided = decide_milestone(session, project_id=project_id, code="M1", approved=True, decided_by="sponsor")
    assert decided is MilestoneStatus.APPROVED
    assert evaluate(session, project_id)["M1"].status is MilestoneStatus.APPROVED  # re-judging keeps the sign-off
    with pytest.raises(InvalidTransition):
        decide_milestone(session, project_id=project_id, code="M1", approved=False, decided_by="sponsor")
    assert stored_status(session, project_id, "M1") is MilestoneStatus.APPROVED


def test_only_a_milestone_awaiting_approval_can_be_signed_off(session: Session, project_id: int) -> None:
    with pytest.raises(InvalidTransition):
        decide_milestone(session, project_id=project_id, code="M1", approved=True, decided_by="sponsor")
    with pytest.raises(NotFound):
        decide_milestone(session, project_id=project_id, code="M99", approved=True, decided_by="sponsor")


def test_failing_evidence_fails_the_milestone_and_raises_its_open_risk_only_once(
    session: Session, project_id: int,
) -> None:
    record_evidence(session, source="migration", values=M3_HOLDS | {"migration.run.passed": 0.0})
    first = evaluate(session, project_id)["M3"]
    assert (first.status, first.raised_risks) == (MilestoneStatus.FAILED, ["RK1"])
    raised = risk(session, project_id, "RK1")
    raised_at = raised.raised_at
    assert raised.status is RiskStatus.RAISED and raised_at is not None
    assert risk(session, project_id, "RK2").status is RiskStatus.OPEN

    again = evaluate(session, project_id)["M3"]

    assert (again.status, again.raised_risks) == (MilestoneStatus.FAILED, [])
    assert risk(session, project_id, "RK1").raised_at == raised_at


@pytest.mark.parametrize(("today", "status"), [
    (date(2026, 10, 20), MilestoneStatus.PENDING),  # due today: not late yet
    (date(2026, 10, 21), MilestoneStatus.FAILED),
])
def test_missing_evidence_fails_a_milestone_only_once_it_is_overdue(
    session: Session, project_id: int, today: date, status: MilestoneStatus,
) -> None:
    verdicts = evaluate(session, project_id, today=today)
    assert verdicts["M1"].status is status
    assert [c.value for c in verdicts["M1"].criteria] == [None]
    assert verdicts["M2"].status is MilestoneStatus.PENDING  # due 2026-10-31


def test_the_newest_evidence_wins_over_older_values_of_the_same_key(session: Session, project_id: int) -> None:
    record_evidence(session, source="run 1", values=M3_HOLDS)
    record_evidence(session, source="run 2", values={"migration.run.passed": 0.0})
    assert evaluate(session, project_id)["M3"].status is MilestoneStatus.FAILED
    record_evidence(session, source="run 3", values={"migration.run.passed": 1.0})
    assert evaluate(session, project_id)["M3"].status is MilestoneStatus.PASSED


def test_a_rejected_milestone_stays_rejected_until_it_is_decided_again(session: Session, project_id: int) -> None:
    record_evidence(session, source="plan", values={"vendors.ranked": 4})
    evaluate(session, project_id)
    rejected = decide_milestone(session, project_id=project_id, code="M1", approved=False, decided_by="sponsor",
                                note="contract terms not agreed")
    assert rejected is MilestoneStatus.REJECTED
    assert evaluate(session, project_id)["M1"].status is MilestoneStatus.REJECTED
    assert decide_milestone(session, project_id=project_id, code="M1", approved=True,
                            decided_by="sponsor") is MilestoneStatus.APPROVED
