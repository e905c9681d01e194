"""Training sessions with attendance, and trial-run feedback; every change leaves fresh evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from erp_models.enums import FeedbackSeverity, FeedbackStatus
from erp_models.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from erp_models.project import models as m
from erp_models.project.evidence import record_evidence
from erp_models.project.feedback_links import checked_change, checked_milestone, checked_role

FEEDBACK_MODULES = ("catalogue", "procurement", "inventory", "sales", "channels", "security", "migration",
                    "reporting", "api", "manual", "other")
OPEN = (FeedbackStatus.OPEN, FeedbackStatus.TRIAGED)
# Which status may follow which: feedback is triaged, then resolved, then closed; resolving can happen at once.
NEXT: dict[FeedbackStatus, set[FeedbackStatus]] = {
    FeedbackStatus.OPEN: {FeedbackStatus.TRIAGED, FeedbackStatus.RESOLVED, FeedbackStatus.CLOSED},
    FeedbackStatus.TRIAGED: {FeedbackStatus.RESOLVED, FeedbackStatus.CLOSED},
    FeedbackStatus.RESOLVED: {FeedbackStatus.CLOSED, FeedbackStatus.OPEN},
    FeedbackStatus.CLOSED: {FeedbackStatus.OPEN},
}


def schedule_training(session: Session, *, project_id: int, title: str, role: str, scheduled_at: datetime,
                      trainer: str, invitees: Sequence[str]) -> m.TrainingSession:
    if not invitees:
        raise InvalidInput("a training session needs at least one invitee")
    training = m.TrainingSession(project_id=project_id, title=title, role=role, scheduled_at=scheduled_at,
                                 trainer=trainer)
    session.add(training)
    session.flush()
    session.add_all(m.TrainingAttendance(training_session_id=training.id, attendee=name) for name in set(invitees))
    session.flush()
    record_evidence(session, source=f"training session {training.id} scheduled", values=training_evidence(session))
    return training


def record_attendance(session: Session, *, training_id: int, attendees: Sequence[str], attended: bool = True) -> int:
    """Mark people present (or absent); someone not invited is added. Returns how many rows changed."""
    if session.get(m.TrainingSession, training_id) is None:
        raise NotFound(f"no training session {training_id}")
    for attendee in attendees:
        session.execute(insert(m.TrainingAttendance).values(training_session_id=training_id, attendee=attendee,
                                                            attended=attended)
                        .on_conflict_do_update(index_elements=["training_session_id", "attendee"],
                                               set_={"attended": attended}))
    record_evidence(session, source=f"training session {training_id} attendance", values=training_evidence(session))
    return len(attendees)


def list_training(session: Session) -> list[dict[str, object]]:
    """Every training session, newest first, with how many were invited, confirmed they would come, and attended."""
    a = m.TrainingAttendance
    rows = session.execute(
        select(m.TrainingSession, func.count(a.id), func.count(a.id).filter(a.confirmed_at.is_not(None)),
               func.count(a.id).filter(a.attended))
        .outerjoin(a, a.training_session_id == m.TrainingSession.id)
        .group_by(m.TrainingSession.id).order_by(m.TrainingSession.scheduled_at.desc(), m.TrainingSession.id.desc())
    ).all()
    return [{"id": t.id, "title": t.title, "role": t.role, "scheduled_at": t.scheduled_at, "trainer": t.trainer,
             "invited": invited, "confirmed": confirmed, "attended": attended}
            for t, invited, confirmed, attended in rows]


@dataclass(frozen=True)
class UpcomingTraining:
    """A training session a user may attend: invited to it, or held for their role."""

    id: int
    title: str
    role: str
    scheduled_at: datetime
    trainer: str
    invited: bool
    confirmed_at: datetime | None


def upcoming_training(session: Session, *, username: str, role: str) -> list[UpcomingTraining]:
    """The sessions not yet begun that `username` is invited to or that train `role`, soonest first."""
    t, a = m.TrainingSession, m.TrainingAttendance
    rows = session.execute(
        select(t, a.id, a.confirmed_at)
        .outerjoin(a, (a.training_session_id == t.id) & (a.attendee == username))
        .where(t.scheduled_at > func.now(), (t.role == role) | a.id.is_not(None))
        .order_by(t.scheduled_at, t.id)).all()
    return [UpcomingTraining(id=row.id, title=row.title, role=row.role, scheduled_at=row.scheduled_at,
                             trainer=row.trainer, invited=invite is not None, confirmed_at=confirmed)
            for row, invite, confirmed in rows]


def confirm_training(session: Session, *, training_id: int, username: str, role: str) -> None:
    """`username` confirms they will attend: an invitee, or someone of the role the session trains (who is then
    added to its invitees). Only before the session begins."""
    training = session.get(m.TrainingSession, training_id)
    if training is None:
        raise NotFound(f"no training session {training_id}")
    if training.scheduled_at <= datetime.now(UTC):
        raise InvalidTransition(f"training session {training_id} has begun; the trainer records who attended")
    a = m.TrainingAttendance
    invited = session.scalar(select(a.id).where(a.training_session_id == training_id, a.attendee == username))
    if invited is None and training.role != role:
        raise InvalidInput(f"{username} is not invited to training session {training_id}, which trains "
                           f"{training.role}")
    session.execute(insert(a).values(training_session_id=training_id, attendee=username, confirmed_at=func.now())
                    .on_conflict_do_update(index_elements=["training_session_id", "attendee"],
                                           set_={"confirmed_at": func.now()}))
    record_evidence(session, source=f"training session {training_id}: {username} confirmed",
                    values=training_evidence(session))


def training_evidence(session: Session) -> dict[str, float]:
    """Attendance over the sessions held: those that have begun, or whose attendance a trainer has recorded. A session
    still to come (whose invitees may only have confirmed) does not lower the rate."""
    a, t = m.TrainingAttendance, m.TrainingSession
    held = select(t.id).where((t.scheduled_at <= func.now())
                              | t.id.in_(select(a.training_session_id).where(a.attended)))
    invited, present, sessions = session.execute(select(
        func.count(), func.count().filter(a.attended), func.count(func.distinct(a.training_session_id)))
        .where(a.training_session_id.in_(held))).one()
    return {"training.sessions": float(sessions), "training.attendees": float(present),
            "training.attendance_rate": present / invited if invited else 0.0}


def latest_project_id(session: Session) -> int | None:
    """The most recently loaded plan's project, which feedback is about; None before any plan is loaded."""
    return session.scalar(select(m.Project.id).order_by(m.Project.id.desc()).limit(1))


def submit_feedback(session: Session, *, project_id: int | None, module: str, severity: FeedbackSeverity,
                    title: str, body: str, submitted_by: str, milestone: str | None = None,
                    role: str | None = None) -> m.Feedback:
    """Record a feedback item about a module, optionally about a milestone of the loaded plan and from an ERP role."""
    if module not in FEEDBACK_MODULES:
        raise InvalidInput(f"unknown module {module!r}; one of: {', '.join(FEEDBACK_MODULES)}", module=module)
    feedback = m.Feedback(project_id=project_id, module=module, severity=severity, title=title, body=body,
                          submitted_by=submitted_by, role=checked_role(role),
                          milestone=checked_milestone(session, project_id=project_id, code=milestone))
    session.add(feedback)
    session.flush()
    record_evidence(session, source=f"feedback {feedback.id} from {submitted_by}", values=feedback_evidence(session))
    return feedback


def _locked(session: Session, feedback_id: int) -> m.Feedback:
    feedback = session.get(m.Feedback, feedback_id, with_for_update=True)
    if feedback is None:
        raise NotFound(f"no feedback {feedback_id}")
    return feedback


def triage_feedback(session: Session, *, feedback_id: int, severity: FeedbackSeverity, owner: str, by: str,
                    milestone: str | None = None) -> m.Feedback:
    """Triage (or re-triage) an unresolved item: its severity, who owns it, and optionally its milestone."""
    if not owner.strip():
        raise InvalidInput("triage needs an owner: who will resolve the item")
    feedback = _locked(session, feedback_id)
    if feedback.status not in OPEN:
        raise InvalidTransition(f"feedback {feedback_id} is {feedback.status.value}; reopen it before triaging it")
    if milestone is not None:
        feedback.milestone = checked_milestone(session, project_id=feedback.project_id, code=milestone)
    feedback.status, feedback.severity, feedback.owner = FeedbackStatus.TRIAGED, severity, owner.strip()[:64]
    session.flush()
    record_evidence(session, source=f"feedback {feedback_id} triaged {severity.value} to {feedback.owner} by {by}",
                    values=feedback_evidence(session))
    return feedback


def set_feedback_status(session: Session, *, feedback_id: int, status: FeedbackStatus, by: str,
                        change: str | None = None) -> m.Feedback:
    """Move an item along. Resolving it names the change that resolved it (a release tag, git sha or flow run id);
    closing it may; reopening it forgets both the resolution and its change."""
    feedback = _locked(session, feedback_id)
    if status not in NEXT[feedback.status]:
        raise InvalidTransition(f"feedback {feedback_id} is {feedback.status.value}; it cannot become {status.value}")
    if status is FeedbackStatus.RESOLVED or (status is FeedbackStatus.CLOSED and change):
        feedback.resolved_by_change = checked_change(change)
    elif change:
        raise Conflict(f"a change resolves feedback; it cannot come with status {status.value}")
    if status in OPEN:
        feedback.resolved_at = feedback.resolved_by_change = None
    elif feedback.resolved_at is None:
        feedback.resolved_at = session.scalar(select(func.now()))
    feedback.status = status
    session.flush()
    record_evidence(session, source=f"feedback {feedback_id} {status.value} by {by}" +
                    (f" ({feedback.resolved_by_change})" if status not in OPEN and feedback.resolved_by_change
                     else ""), values=feedback_evidence(session))
    return feedback


def feedback_evidence(session: Session) -> dict[str, float]:
    rows = session.execute(select(m.Feedback.severity, m.Feedback.status, func.count())
                           .group_by(m.Feedback.severity, m.Feedback.status)).all()
    open_by = {s: sum(n for sev, st, n in rows if sev is s and st in OPEN) for s in FeedbackSeverity}
    return {"feedback.open_critical": float(open_by[FeedbackSeverity.CRITICAL]),
            "feedback.open_major": float(open_by[FeedbackSeverity.MAJOR]),
            "feedback.open_total": float(sum(open_by.values())),
            "feedback.resolved": float(sum(n for _, st, n in rows if st not in OPEN))}


def list_feedback(session: Session, *, status: FeedbackStatus | None = None, limit: int = 100,
                  offset: int = 0, submitted_by: str | None = None) -> list[m.Feedback]:
    query = select(m.Feedback).order_by(m.Feedback.id.desc()).limit(limit).offset(offset)
    if status is not None:
        query = query.where(m.Feedback.status == status)
    if submitted_by is not None:
        query = query.where(m.Feedback.submitted_by == submitted_by)
    return list(session.scalars(query))
