"""The feedback loop on PostgreSQL: links to a milestone and a role, triage with an owner, resolutions that name their
change, and the review's evidence and `feedback.sla` incident."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from erp_models.enums import FeedbackSeverity, FeedbackStatus
from erp_models.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from erp_models.ops.feedback import backlog, feedback_items, sla_breaches
from erp_models.ops.feedback_review import SLA_CHECK, record_review
from erp_models.ops.feedback_spec import FeedbackSpec
from erp_models.ops.incidents import list_incidents
from erp_models.ops.models import Incident
from erp_models.project import models as m
from erp_models.project import spec
from erp_models.project.delivery import set_feedback_status, submit_feedback, triage_feedback
from erp_models.project.evidence import evidence_records, judged_evidence
from erp_models.project.loading import load_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


@pytest.fixture
def project_id(session: Session) -> int:
    # Feedback evidence and the SLA incident count every row: emptied inside this rolled-back transaction.
    session.execute(delete(m.Feedback))
    session.execute(delete(Incident).where(Incident.check == SLA_CHECK))
    plan, sha = spec.load_plan(EXAMPLE)
    return load_plan(session, plan=plan, sha256=sha).project_id


def a_feedback(session: Session, project_id: int | None, severity: FeedbackSeverity = FeedbackSeverity.MAJOR,
               hours_ago: float = 0, **links: str) -> m.Feedback:
    item = submit_feedback(session, project_id=project_id, module="inventory", severity=severity,
                           title="盘点差异无法过账", body="posting a count fails", submitted_by="warehouse-1", **links)
    if hours_ago:
        session.execute(update(m.Feedback).where(m.Feedback.id == item.id)
                        .values(created_at=datetime.now(UTC) - timedelta(hours=hours_ago)))
        session.refresh(item)
    return item


def test_feedback_links_to_a_milestone_of_the_loaded_plan_and_a_role(session: Session, project_id: int) -> None:
    item = a_feedback(session, project_id, milestone="M8", role="warehouse")
    assert (item.milestone, item.role, item.module) == ("M8", "warehouse", "inventory")


@pytest.mark.parametrize(("links", "message", "error"), [({"milestone": "M99"}, "unknown milestone 'M99'", NotFound),
                                                         ({"role": "cashier"}, "unknown role 'cashier'", InvalidInput)])
def test_an_unknown_milestone_or_role_is_refused(session: Session, project_id: int, links: dict[str, str],
                                                 message: str, error: type[Exception]) -> None:
    with pytest.raises(error, match=message):
        a_feedback(session, project_id, **links)


def test_a_milestone_cannot_be_checked_without_a_loaded_plan(session: Session, project_id: int) -> None:
    with pytest.raises(NotFound, match="no plan is loaded"):
        a_feedback(session, None, milestone="M8")


def test_triage_sets_the_severity_and_the_owner_and_the_evidence_follows(session: Session, project_id: int) -> None:
    item = a_feedback(session, project_id, FeedbackSeverity.MINOR)
    assert judged_evidence(session, prefix="feedback.")["feedback.open_major"] == 0.0
    triaged = triage_feedback(session, feedback_id=item.id, severity=FeedbackSeverity.MAJOR, owner="李娜",
                              milestone="M8", by="pm")
    assert (triaged.status, triaged.severity, triaged.owner, triaged.milestone) == (
        FeedbackStatus.TRIAGED, FeedbackSeverity.MAJOR, "李娜", "M8")
    assert judged_evidence(session, prefix="feedback.")["feedback.open_major"] == 1.0


def test_triage_needs_an_owner_and_an_unresolved_item(session: Session, project_id: int) -> None:
    item = a_feedback(session, project_id)
    with pytest.raises(InvalidInput, match="owner"):
        triage_feedback(session, feedback_id=item.id, severity=FeedbackSeverity.MAJOR, owner=" ", by="pm")
    set_feedback_status(session, feedback_id=item.id, status=FeedbackStatus.RESOLVED, by="pm", change="v1.4.0")
    with pytest.raises(InvalidTransition, match="reopen it"):
        triage_feedback(session, feedback_id=item.id, severity=FeedbackSeverity.MAJOR, owner="李娜", by="pm")


def test_resolving_requires_the_change_that_resolved_it(session: Session, project_id: int) -> None:
    item = a_feedback(session, project_id)
    for change, error in ((None, Conflict), ("fixed on Tuesday", InvalidInput)):
        with pytest.raises(error):
            set_feedback_status(session, feedback_id=item.id, status=FeedbackStatus.RESOLVED, by="pm", change=change)
    assert item.status is FeedbackStatus.OPEN
    run = str(uuid.uuid4())
    resolved = set_feedback_status(session, feedback_id=item.id, status=FeedbackStatus.RESOLVED, by="pm",
                                   change=run.upper())
    assert (resolved.resolved_by_change, resolved.resolved_at is not None) == (run, True)
    sources = [r.source for r in evidence_records(session, prefix="feedback.open_total", history=True)]
    assert f"feedback {item.id} resolved by pm ({run})" in sources


def test_reopening_forgets_the_resolution_and_closing_needs_no_change(session: Session, project_id: int) -> None:
    item = a_feedback(session, project_id)
    set_feedback_status(session, feedback_id=item.id, status=FeedbackStatus.RESOLVED, by="pm", change="v1.4.0")
    reopened = set_feedback_status(session, feedback_id=item.id, status=FeedbackStatus.OPEN, by="pm")
    assert (reopened.resolved_at, reopened.resolved_by_change) == (None, None)
    closed = set_feedback_status(session, feedback_id=item.id, status=FeedbackStatus.CLOSED, by="pm")
    assert closed.resolved_at is not None and closed.resolved_by_change is None


def test_a_change_with_a_status_that_resolves_nothing_is_refused(session: Session, project_id: int) -> None:
    item = a_feedback(session, project_id)
    with pytest.raises(Conflict, match="cannot come with status triaged"):
        set_feedback_status(session, feedback_id=item.id, status=FeedbackStatus.TRIAGED, by="pm", change="v1.4.0")


def review(session: Session) -> tuple[uuid.UUID, list[int]]:
    run_id = uuid.uuid4()
    now = datetime.now(UTC)
    breaches = sla_breaches(backlog(feedback_items(session, since=now - timedelta(weeks=1)), FeedbackSpec(), now))
    record_review(session, breaches=breaches, run_id=run_id, source=f"feedback-review flow run {run_id}")
    return run_id, [a.item.id for a in breaches]


def test_a_review_records_the_breaches_under_its_run_and_opens_the_sla_incident(session: Session,
                                                                               project_id: int) -> None:
    late = a_feedback(session, project_id, FeedbackSeverity.CRITICAL, hours_ago=5)
    a_feedback(session, project_id, FeedbackSeverity.MAJOR, hours_ago=23)  # within its 24 h
    a_feedback(session, project_id, FeedbackSeverity.MAJOR, hours_ago=30)
    run_id, breached = review(session)
    assert breached[0] == late.id and len(breached) == 2
    judged = judged_evidence(session, prefix="feedback.")
    assert (judged["feedback.sla_breaches"], judged["feedback.open_major"]) == (2.0, 2.0)
    assert {r.run_id for r in evidence_records(session, prefix="feedback.sla_breaches")} == {run_id}
    [incident] = [i for i in list_incidents(session, unresolved_only=True) if i.check == SLA_CHECK]
    assert (incident.severity, incident.last_value, incident.run_id) == ("critical", 2.0, str(run_id))
    assert incident.summary.startswith(f"2 feedback items past SLA: #{late.id} critical")


def test_a_review_without_breaches_resolves_the_sla_incident(session: Session, project_id: int) -> None:
    late = a_feedback(session, project_id, FeedbackSeverity.CRITICAL, hours_ago=5)
    review(session)
    set_feedback_status(session, feedback_id=late.id, status=FeedbackStatus.RESOLVED, by="pm", change="v1.4.1")
    review(session)
    assert judged_evidence(session, prefix="feedback.")["feedback.sla_breaches"] == 0.0
    incidents = session.scalars(select(Incident).where(Incident.check == SLA_CHECK)).all()
    assert [(i.status.value, i.resolved_by is not None and i.resolved_by.startswith("auto:")) for i in incidents] \
        == [("resolved", True)]
