"""The implementation project over HTTP: trial-run feedback, training attendance, milestone standing, evidence."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from erp_models.enums import FeedbackSeverity, FeedbackStatus, RoleName
from erp_models.project import delivery
from erp_models.project import models as m
from erp_models.project.evidence import evidence_records, judged_evidence
from erp_models.project.feedback_links import CHANGE_PATTERN
from erp_models.project.gates import MilestoneVerdict, milestone_standing
from erp_models.project.loading import project_by_code
from erp_models.security.services import Principal
from erpops.api.deps import Db, require
from erpops.api.schemas import SOME_TEXT, Limit, Offset, Strict

router = APIRouter(tags=["project"])
Reader = Annotated[Principal, Depends(require("project.read"))]
Submitter = Annotated[Principal, Depends(require("project.feedback.submit"))]
Triager = Annotated[Principal, Depends(require("project.feedback.triage"))]
Trainer = Annotated[Principal, Depends(require("project.training.manage"))]
Name64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=SOME_TEXT)]


class FeedbackIn(Strict):
    module: Literal[delivery.FEEDBACK_MODULES] = Field(  # type: ignore[valid-type]  # the tuple's values
        description="The ERP module the feedback is about")
    severity: FeedbackSeverity
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=10_000)]
    milestone: Annotated[str | None, Field(description="A milestone code of the loaded plan", max_length=32)] = None
    role: Annotated[RoleName | None, Field(description="The submitter's ERP role (default: the caller's role, when it "
                                           "is a built-in one)")] = None


class FeedbackOut(BaseModel):
    id: int
    module: str
    severity: FeedbackSeverity
    status: FeedbackStatus
    title: str
    body: str
    submitted_by: str
    created_at: datetime
    milestone: str | None
    role: str | None
    owner: str | None
    resolved_at: datetime | None
    resolved_by_change: str | None


class FeedbackStatusIn(Strict):
    status: FeedbackStatus
    change: Annotated[str | None, Field(description="Required with `resolved`: the change that resolved the item, a "
                                        "release tag (v1.2.3), a git sha or a flow run id", max_length=64,
                                        pattern=CHANGE_PATTERN)] = None


class FeedbackTriageIn(Strict):
    severity: FeedbackSeverity
    owner: Name64
    milestone: Annotated[str | None, Field(description="A milestone code of the loaded plan", max_length=32)] = None


class TrainingIn(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    role: Name64
    scheduled_at: datetime
    trainer: Name64
    invitees: Annotated[list[Name64], Field(min_length=1, max_length=500)]


class AttendanceIn(Strict):
    attendees: Annotated[list[Name64], Field(min_length=1, max_length=500)]
    attended: bool = True


def _feedback(row: m.Feedback) -> FeedbackOut:
    return FeedbackOut(id=row.id, module=row.module, severity=row.severity, status=row.status, title=row.title,
                       body=row.body, submitted_by=row.submitted_by, created_at=row.created_at,
                       milestone=row.milestone, role=row.role, owner=row.owner, resolved_at=row.resolved_at,
                       resolved_by_change=row.resolved_by_change)


@router.post("/feedback", status_code=201, response_model=FeedbackOut)
def submit_feedback(body: FeedbackIn, db: Db, who: Submitter) -> FeedbackOut:
    """Report a problem or a suggestion from the trial run."""
    return db.write(lambda s: _feedback(delivery.submit_feedback(
        s, project_id=delivery.latest_project_id(s), module=body.module, severity=body.severity, title=body.title,
        body=body.body, submitted_by=who.username, milestone=body.milestone, role=body.role or _builtin(who.role))))


def _builtin(role: str) -> str | None:
    """The caller's role when it is a built-in one (roles added as data are not feedback roles)."""
    return role if role in {r.value for r in RoleName} else None


@router.get("/feedback", response_model=list[FeedbackOut])
def list_feedback(db: Db, _: Reader, status: FeedbackStatus | None = None, limit: Limit = 100,
                  offset: Offset = 0) -> list[FeedbackOut]:
    """Feedback, newest first."""
    return db.read(lambda s: [_feedback(f) for f in delivery.list_feedback(s, status=status, limit=limit,
                                                                           offset=offset)])


@router.post("/feedback/{feedback_id}/status", response_model=FeedbackOut)
def set_feedback_status(feedback_id: Annotated[int, Path(ge=1, le=2**62)], body: FeedbackStatusIn, db: Db,
                        who: Triager) -> FeedbackOut:
    """Resolve (naming the change), close or reopen a feedback item; `triaged` without an owner (see /triage)."""
    return db.write(lambda s: _feedback(delivery.set_feedback_status(s, feedback_id=feedback_id, status=body.status,
                                                                     by=who.username, change=body.change)))


@router.post("/feedback/{feedback_id}/triage", response_model=FeedbackOut)
def triage_feedback(feedback_id: Annotated[int, Path(ge=1, le=2**62)], body: FeedbackTriageIn, db: Db,
                    who: Triager) -> FeedbackOut:
    """Triage an unresolved item: its severity (its SLA follows), its owner, optionally its milestone."""
    return db.write(lambda s: _feedback(delivery.triage_feedback(
        s, feedback_id=feedback_id, severity=body.severity, owner=body.owner, milestone=body.milestone,
        by=who.username)))


@router.post("/training-sessions", status_code=201)
def schedule_training(body: TrainingIn, db: Db, _: Trainer) -> dict[str, int]:
    """Schedule a training session for a role, with its invitees."""
    return db.write(lambda s: {"id": delivery.schedule_training(
        s, project_id=project_by_code(s, None).id, title=body.title, role=body.role, scheduled_at=body.scheduled_at,
        trainer=body.trainer, invitees=body.invitees).id})


class TrainingOut(BaseModel):
    id: int
    title: str
    role: str
    scheduled_at: datetime
    trainer: str
    invited: int
    confirmed: int = Field(description="Invitees who confirmed in the trial-run portal that they will attend")
    attended: int


@router.get("/training-sessions", response_model=list[TrainingOut])
def list_training(db: Db, _: Reader) -> list[TrainingOut]:
    """Training sessions, newest first, with how many were invited and attended."""
    return db.read(lambda s: [TrainingOut.model_validate(row) for row in delivery.list_training(s)])


@router.post("/training-sessions/{training_id}/attendance")
def record_attendance(training_id: Annotated[int, Path(ge=1, le=2**62)], body: AttendanceIn, db: Db,
                      _: Trainer) -> dict[str, float]:
    """Mark invitees present (or absent); answers with the training evidence after the change."""
    def work(s: Session) -> dict[str, float]:
        delivery.record_attendance(s, training_id=training_id, attendees=body.attendees, attended=body.attended)
        return delivery.training_evidence(s)

    return db.write(work)


@router.get("/milestones", response_model=list[MilestoneVerdict],
            responses={404: {"description": "No plan is loaded yet (`not_found`)"}})
def milestones(db: Db, _: Reader) -> list[MilestoneVerdict]:
    """The milestones of the latest loaded plan, as the last gate evaluation left them."""
    return db.read(lambda s: milestone_standing(s, project_id=project_by_code(s, None).id))


class EvidenceOut(BaseModel):
    key: str
    value: float
    state: str  # judged | superseded | not counting | withdrawn
    source: str
    run_id: uuid.UUID | None
    scope: str | None
    recorded_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawn_reason: str | None


class EvidenceListOut(BaseModel):
    judged: dict[str, float]
    evidence: list[EvidenceOut]


@router.get("/evidence", response_model=EvidenceListOut)
def list_evidence(db: Db, _: Reader, prefix: Annotated[str, Query(max_length=200)] = "",
                  history: Annotated[bool, Query(alias="all")] = False) -> EvidenceListOut:
    """What `erpops evidence list` shows: the values gates read, and per key what was recorded after it."""
    def work(s: Session) -> EvidenceListOut:
        records = evidence_records(s, prefix=prefix, history=history)
        return EvidenceListOut(judged=judged_evidence(s, prefix=prefix), evidence=[
            EvidenceOut(key=r.key, value=r.value, state=r.state.value, source=r.source, run_id=r.run_id,
                        scope=r.scope, recorded_at=r.recorded_at, withdrawn_at=r.withdrawn_at,
                        withdrawn_by=r.withdrawn_by, withdrawn_reason=r.withdrawn_reason) for r in records])

    return db.read(work)
