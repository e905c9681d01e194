"""Incidents last exactly as long as their problem: one unresolved per check, updated while it persists."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput, NotFound
from erp_models.ops.incidents import acknowledge, list_incidents, report_violation, resolve, resolve_passing
from erp_models.ops.models import IncidentSeverity


def test_a_persisting_violation_updates_its_open_incident_and_passing_resolves_it(session: Session) -> None:
    first, opened = report_violation(session, check="db.long_transaction_s", summary="a 400 s transaction",
                                     source="monitor run 1", value=400.0)
    again, opened_again = report_violation(session, check="db.long_transaction_s", summary="a 460 s transaction",
                                           source="monitor run 2", value=460.0, severity=IncidentSeverity.CRITICAL)
    assert opened and not opened_again
    assert again.id == first.id and again.occurrences == 2 and again.last_value == 460.0
    assert again.severity == "critical" and again.source == "monitor run 2"

    resolved = resolve_passing(session, checks=["db.long_transaction_s", "api.p95_ms"], by="auto: monitor run 3")
    assert [r.id for r in resolved] == [first.id]
    assert resolved[0].status == "resolved" and resolved[0].resolved_by == "auto: monitor run 3"

    reopened, opened_third = report_violation(session, check="db.long_transaction_s", summary="again",
                                              source="monitor run 4")
    assert opened_third and reopened.id != first.id
    assert [i.id for i in list_incidents(session, unresolved_only=True)] == [reopened.id]
    assert {i.id for i in list_incidents(session)} == {first.id, reopened.id}


def test_acknowledging_keeps_it_unresolved_and_a_person_can_resolve_it(session: Session) -> None:
    incident, _ = report_violation(session, check="ops.restore_drill", summary="fingerprint differs", source="drill")
    acked = acknowledge(session, incident_id=incident.id, by="刘洋")
    assert acked.status == "acknowledged" and acked.acknowledged_by == "刘洋" and acked.resolved_at is None
    done = resolve(session, incident_id=incident.id, by="刘洋")
    assert done.status == "resolved" and done.resolved_by == "刘洋"
    with pytest.raises(InvalidInput, match="resolved already"):
        acknowledge(session, incident_id=incident.id, by="刘洋")
    with pytest.raises(NotFound):
        acknowledge(session, incident_id=incident.id + 1000, by="刘洋")
    with pytest.raises(InvalidInput):
        report_violation(session, check=" ", summary="x", source="y")
