"""After the probes: judge the figures, turn violations into incidents and Prefect events, store the sample, publish.

Every violation is emitted as the event `erpops.monitor.violation` with the ERP database as its resource
(`erpops.erp.<database>`), so Prefect automations (`erpops ops automations apply`) can alert on it.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from prefect import task
from prefect.events import emit_event
from pydantic import BaseModel, Field

from erp_models.ops.monitor import IncidentChanges, Probe, TopSku, owned_open_checks, report_verdicts
from erp_models.ops.monitor_samples import record_sample
from erp_models.ops.monitor_spec import MonitorSpec
from erp_models.ops.monitor_thresholds import judge_figures
from infra.db import UnitOfWork

VIOLATION_EVENT = "erpops.monitor.violation"


class MonitorStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class CheckRow(BaseModel):
    check: str
    value: float | None
    limit: str | None
    passed: bool
    summary: str


class MonitorOutcome(BaseModel):
    run_id: str
    database: str
    status: MonitorStatus
    reason: str | None = None
    checks: list[CheckRow]
    violations: list[str] = Field(default_factory=list, description="checks that failed in this run")
    incidents: IncidentChanges = Field(default_factory=IncidentChanges)
    open_incidents: list[str] = Field(default_factory=list, description="the monitor's unresolved incidents")
    by_channel: dict[str, float] = Field(default_factory=dict)
    top_skus: list[TopSku] = Field(default_factory=list)
    events_emitted: int = 0


def resource_id(database: str) -> str:
    return f"erpops.erp.{database}"


@task(task_run_name="judge and report")
def judge_and_report(probe: Probe, spec: MonitorSpec, run_id: str, source: str, database: str) -> MonitorOutcome:
    """Judge every figure against the plan's limits, open/update/resolve incidents and store the run's sample.
    With the database unreachable nothing can be written there: the verdicts and events are the record."""
    verdicts = judge_figures(probe.figures, spec.limits(), probe.notes)
    rows = [CheckRow(check=v.check, value=v.value, limit=v.limit, passed=v.passed, summary=v.summary)
            for v in verdicts]
    failed = [v.check for v in verdicts if not v.passed]
    changes, still_open = IncidentChanges(), list(failed)
    if probe.figures.get("db.reachable"):
        with UnitOfWork() as uow:
            changes = report_verdicts(uow.session, verdicts, source=source, run_id=uuid.UUID(run_id))
            record_sample(uow.session, run_id=uuid.UUID(run_id), database=database, passed=not changes.still_open,
                          figures=probe.figures, keep_days=spec.keep_samples_days)
            uow.commit()
        with UnitOfWork() as uow:
            still_open = owned_open_checks(uow.session)
    reason = None
    if still_open:
        reason = "open incidents: " + "; ".join(
            next((r.summary for r in rows if r.check == c and not r.passed), f"{c} (incident still open)")
            for c in still_open)
    return MonitorOutcome(run_id=run_id, database=database,
                          status=MonitorStatus.FAILED if still_open else MonitorStatus.PASSED, reason=reason,
                          checks=rows, violations=failed, incidents=changes, open_incidents=still_open,
                          by_channel=probe.by_channel, top_skus=probe.top_skus)


@task(task_run_name="emit violation events")
def emit_violations(outcome: MonitorOutcome) -> int:
    """One `erpops.monitor.violation` event per failed check; how many were emitted."""
    emitted = 0
    for row in outcome.checks:
        if row.passed:
            continue
        event = emit_event(VIOLATION_EVENT, resource={"prefect.resource.id": resource_id(outcome.database),
                                                      "prefect.resource.name": outcome.database},
                           payload={"check": row.check, "value": row.value, "limit": row.limit,
                                    "summary": row.summary, "flow_run_id": outcome.run_id})
        emitted += event is not None
    return emitted
