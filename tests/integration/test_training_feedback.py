"""Training attendance and trial-run feedback, and the evidence each change leaves for the gates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from erp_models.enums import FeedbackSeverity, FeedbackStatus
from erp_models.errors import InvalidInput, InvalidTransition, NotFound
from erp_models.project import models as m
from erp_models.project import spec
from erp_models.project.delivery import (
    confirm_training,
    record_attendance,
    schedule_training,
    set_feedback_status,
    submit_feedback,
)
from erp_models.project.evidence import judged_evidence
from erp_models.project.loading import load_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
INVITEES = ["张伟", "李娜", "王磊", "刘敏", "陈杰"]


@pytest.fixture
def project_id(session: Session) -> int:
    # Training and feedback evidence counts every row in the database, and the shared test database keeps
    # rows other tests committed (the API fuzzing reports feedback): emptied inside this rolled-back transaction.
    session.execute(delete(m.TrainingSession))
    session.execute(delete(m.Feedback))
    plan, sha = spec.load_plan(EXAMPLE)
    return load_plan(session, plan=plan, sha256=sha).project_id


def a_training(session: Session, project_id: int, invitees: list[str]) -> m.TrainingSession:
    return schedule_training(session, project_id=project_id, title="仓库收货与盘点", role="warehouse",
                             scheduled_at=datetime(2027, 2, 10, 9, tzinfo=UTC), trainer="陈静",
                             invitees=invitees)


def a_feedback(session: Session, severity: FeedbackSeverity, module: str = "inventory") -> m.Feedback:
    return submit_feedback(session, project_id=None, module=module, severity=severity, title="盘点差异无法过账",
                           body="posting a cycle count with a difference fails", submitted_by="warehouse-1")


def test_the_attendance_rate_is_the_share_of_invitees_marked_present(session: Session, project_id: int) -> None:
    training = a_training(session, project_id, INVITEES)
    assert judged_evidence(session, prefix="training.")["training.attendance_rate"] == 0.0
    record_attendance(session, training_id=training.id, attendees=INVITEES[:4])
    assert judged_evidence(session, prefix="training.") == {
        "training.sessions": 1.0, "training.attendees": 4.0, "training.attendance_rate": 0.8}


def test_a_session_still_to_come_does_not_lower_the_attendance_rate(session: Session, project_id: int) -> None:
    held = a_training(session, project_id, INVITEES)
    record_attendance(session, training_id=held.id, attendees=INVITEES[:4])
    upcoming = schedule_training(session, project_id=project_id, title="退货培训", role="warehouse",
                                 scheduled_at=datetime.now(UTC) + timedelta(days=7), trainer="陈静",
                                 invitees=INVITEES[:3])
    confirm_training(session, training_id=upcoming.id, username=INVITEES[0], role="warehouse")
    assert judged_evidence(session, prefix="training.") == {
        "training.sessions": 1.0, "training.attendees": 4.0, "training.attendance_rate": 0.8}


def test_marking_someone_absent_lowers_the_attendance_rate(session: Session, project_id: int) -> None:
    training = a_training(session, project_id, INVITEES)
    record_attendance(session, training_id=training.id, attendees=INVITEES[:4])
    record_attendance(session, training_id=training.id, attendees=INVITEES[:1], attended=False)
    assert judged_evidence(session, prefix="training.")["training.attendance_rate"] == 0.6


def test_an_invitee_listed_twice_is_invited_once(session: Session, project_id: int) -> None:
    training = a_training(session, project_id, [*INVITEES, INVITEES[0]])
    record_attendance(session, training_id=training.id, attendees=INVITEES)
    assert judged_evidence(session, prefix="training.")["training.attendance_rate"] == 1.0


def test_attendance_for_an_unknown_session_is_not_found(session: Session, project_id: int) -> None:
    unknown = (session.scalar(select(func.max(m.TrainingSession.id))) or 0) + 1
    with pytest.raises(NotFound):
        record_attendance(session, training_id=unknown, attendees=INVITEES[:1])


def test_a_training_without_invitees_is_refused(session: Session, project_id: int) -> None:
    with pytest.raises(InvalidInput):
        a_training(session, project_id, [])


def test_open_critical_counts_only_open_and_triaged_critical_feedback(session: Session, project_id: int) -> None:
    untouched, triaged, resolved = (a_feedback(session, FeedbackSeverity.CRITICAL) for _ in range(3))
    a_feedback(session, FeedbackSeverity.MAJOR)
    set_feedback_status(session, feedback_id=triaged.id, status=FeedbackStatus.TRIAGED, by="pm")
    set_feedback_status(session, feedback_id=resolved.id, status=FeedbackStatus.RESOLVED, by="pm", change="v1.0.1")
    assert judged_evidence(session, prefix="feedback.") == {
        "feedback.open_critical": 2.0, "feedback.open_major": 1.0, "feedback.open_total": 3.0,
        "feedback.resolved": 1.0}

    set_feedback_status(session, feedback_id=untouched.id, status=FeedbackStatus.RESOLVED, by="pm",
                        change="v1.0.2")

    assert judged_evidence(session, prefix="feedback.")["feedback.open_critical"] == 1.0


def test_resolved_feedback_cannot_go_back_to_triaged_but_can_be_reopened(session: Session, project_id: int) -> None:
    feedback = a_feedback(session, FeedbackSeverity.CRITICAL)
    set_feedback_status(session, feedback_id=feedback.id, status=FeedbackStatus.RESOLVED, by="pm", change="9c1e2f7")
    with pytest.raises(InvalidTransition):
        set_feedback_status(session, feedback_id=feedback.id, status=FeedbackStatus.TRIAGED, by="pm")
    assert judged_evidence(session, prefix="feedback.")["feedback.open_critical"] == 0.0
    reopened = set_feedback_status(session, feedback_id=feedback.id, status=FeedbackStatus.OPEN, by="pm")
    assert reopened.status is FeedbackStatus.OPEN
    assert judged_evidence(session, prefix="feedback.")["feedback.open_critical"] == 1.0


def test_feedback_about_an_unknown_module_is_refused(session: Session, project_id: int) -> None:
    with pytest.raises(InvalidInput, match="unknown module"):
        a_feedback(session, FeedbackSeverity.MINOR, module="payroll")
    assert session.scalar(select(func.count()).select_from(m.Feedback)) == 0
