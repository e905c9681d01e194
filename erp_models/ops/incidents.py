"""Opening, updating, acknowledging and resolving incidents. Nothing here commits: the caller's unit of work does.

A check that fails opens an incident, or updates the one already open for it; a check that passes resolves its
open incident ("auto"), so an incident lasts exactly as long as its problem. Acknowledging says a person is on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput, NotFound
from erp_models.ops.models import Incident, IncidentSeverity, IncidentStatus


@dataclass(frozen=True)
class IncidentView:
    id: int
    check: str
    severity: str
    status: str
    summary: str
    detail: str
    source: str
    run_id: str | None
    last_value: float | None
    occurrences: int
    opened_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None


def view(row: Incident) -> IncidentView:
    return IncidentView(id=row.id, check=row.check, severity=row.severity.value, status=row.status.value,
                        summary=row.summary, detail=row.detail, source=row.source,
                        run_id=str(row.run_id) if row.run_id else None, last_value=row.last_value,
                        occurrences=row.occurrences, opened_at=row.opened_at, last_seen_at=row.last_seen_at,
                        acknowledged_at=row.acknowledged_at, acknowledged_by=row.acknowledged_by,
                        resolved_at=row.resolved_at, resolved_by=row.resolved_by)


def _unresolved(session: Session, check: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.check == check, Incident.resolved_at.is_(None))
                          .with_for_update())


def report_violation(session: Session, *, check: str, summary: str, source: str, severity: IncidentSeverity =
                     IncidentSeverity.WARNING, value: float | None = None, detail: str = "",
                     run_id: uuid.UUID | None = None) -> tuple[IncidentView, bool]:
    """Open an incident for `check`, or update the unresolved one; (the incident, whether it was opened now)."""
    if not check.strip():
        raise InvalidInput("an incident needs the name of its check")
    row = _unresolved(session, check)
    opened = row is None
    if row is None:
        row = Incident(check=check, severity=severity, summary=summary[:500], detail=detail, source=source[:200],
                       run_id=run_id, last_value=value)
        session.add(row)
    else:
        row.occurrences += 1
        row.last_seen_at = session.scalar(select(func.now()))  # type: ignore[assignment]
        row.summary, row.detail, row.source, row.run_id, row.last_value = (summary[:500], detail, source[:200],
                                                                           run_id, value)
        if severity is IncidentSeverity.CRITICAL:
            row.severity = severity
    session.flush()
    session.refresh(row)
    return view(row), opened


def resolve_passing(session: Session, *, checks: Iterable[str], by: str) -> list[IncidentView]:
    """Resolve the unresolved incidents of checks that passed again; the ones resolved."""
    wanted = sorted(set(checks))
    if not wanted:
        return []
    rows = list(session.scalars(select(Incident).where(Incident.check.in_(wanted), Incident.resolved_at.is_(None))
                                .with_for_update()))
    now = session.scalar(select(func.now()))
    for row in rows:
        row.status, row.resolved_at, row.resolved_by = IncidentStatus.RESOLVED, now, by[:100]
    session.flush()
    return [view(r) for r in rows]


def acknowledge(session: Session, *, incident_id: int, by: str) -> IncidentView:
    if not by.strip():
        raise InvalidInput("say who acknowledges the incident")
    row = session.get(Incident, incident_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no incident {incident_id}")
    if row.resolved_at is not None:
        raise InvalidInput(f"incident {incident_id} is resolved already")
    row.status, row.acknowledged_at, row.acknowledged_by = (IncidentStatus.ACKNOWLEDGED,
                                                            session.scalar(select(func.now())), by[:100])
    session.flush()
    return view(row)


def resolve(session: Session, *, incident_id: int, by: str) -> IncidentView:
    """A person closes an incident (its check may not run again soon, e.g. a drill)."""
    if not by.strip():
        raise InvalidInput("say who resolves the incident")
    row = session.get(Incident, incident_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no incident {incident_id}")
    if row.resolved_at is None:
        row.status, row.resolved_at, row.resolved_by = (IncidentStatus.RESOLVED, session.scalar(select(func.now())),
                                                        by[:100])
        session.flush()
    return view(row)


def list_incidents(session: Session, *, unresolved_only: bool = False, limit: int = 200) -> list[IncidentView]:
    query = select(Incident).order_by(Incident.resolved_at.is_(None).desc(), Incident.opened_at.desc()).limit(limit)
    if unresolved_only:
        query = query.where(Incident.resolved_at.is_(None))
    return [view(r) for r in session.scalars(query)]
