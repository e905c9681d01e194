"""What a feedback review leaves behind: evidence for the hypercare milestone and the `feedback.sla` incident.

Nothing here commits: the caller's unit of work does. The incident lasts as long as some item is past its SLA: a
review that finds breaches opens it (or updates the open one), a review that finds none resolves it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from erp_models.enums import FeedbackSeverity
from erp_models.ops.feedback import AgedItem, breach_summary
from erp_models.ops.incidents import report_violation, resolve_passing
from erp_models.ops.models import IncidentSeverity
from erp_models.project.delivery import feedback_evidence
from erp_models.project.evidence import record_evidence

SLA_CHECK = "feedback.sla"


@dataclass(frozen=True)
class ReviewRecord:
    evidence: dict[str, float]
    incident_id: int | None  # the open `feedback.sla` incident, if breaches remain
    incident_opened: bool  # opened by this review
    incidents_resolved: list[int]


def record_review(session: Session, *, breaches: Sequence[AgedItem], run_id: uuid.UUID,
                  source: str) -> ReviewRecord:
    """Record `feedback.*` and `feedback.sla_breaches` under the review's run id; open, update or resolve the
    `feedback.sla` incident."""
    values = feedback_evidence(session) | {"feedback.sla_breaches": float(len(breaches))}
    record_evidence(session, source=source, values=values, run_id=run_id,
                    detail={"breached": [a.item.id for a in breaches]})
    if not breaches:
        resolved = resolve_passing(session, checks=[SLA_CHECK], by=f"auto: no SLA breaches in {source}"[:100])
        return ReviewRecord(evidence=values, incident_id=None, incident_opened=False,
                            incidents_resolved=[i.id for i in resolved])
    critical = any(a.item.severity is FeedbackSeverity.CRITICAL for a in breaches)
    detail = "\n".join(f"#{a.item.id} [{a.item.severity.value}] {a.item.title} — {a.overdue_h:.1f} h past the "
                       f"{a.sla_h:g} h SLA, owner {a.item.owner or 'none'}" for a in breaches)
    incident, opened = report_violation(
        session, check=SLA_CHECK, summary=breach_summary(breaches), source=source, value=float(len(breaches)),
        severity=IncidentSeverity.CRITICAL if critical else IncidentSeverity.WARNING, detail=detail, run_id=run_id)
    return ReviewRecord(evidence=values, incident_id=incident.id, incident_opened=opened, incidents_resolved=[])
