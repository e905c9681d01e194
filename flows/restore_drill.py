"""Operate: the restore drill. Restores the newest backup of the ERP into a scratch database, compares its
fingerprint with the one recorded at backup time, runs `db check`, measures the restore time (RTO) and the age of
the newest backup (RPO), drops the scratch database, and records `ops.restore_drill.*`. A failed drill opens the
incident `ops.restore_drill` and ends the run Failed with the reason; a passing drill resolves it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, runtime, tags
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed
from pydantic import BaseModel, Field
from sqlalchemy.engine import make_url

from erp_models.ops.restore_drill import DrillFigures, DrillVerdict, judge_drill
from infra.settings import get_settings
from infra.stack import database_url
from tasks.ops.restore_drill import (
    DrillRecord,
    choose_backup,
    record_drill,
    restore_into_scratch,
    take_drill_backup,
)


class RestoreDrillParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    backup_id: str | None = Field(default=None, description="Drill this backup (id, label or prefix); default the "
                                  "newest backup of the ERP database")
    take_backup: bool = Field(default=False, description="Take a fresh backup first, and drill that one")
    max_rpo_s: float | None = Field(default=None, gt=0, description="Fail when the newest backup is older than "
                                    "this many seconds; default ERPOPS_DRILL_MAX_RPO_S (unset: no limit)")


class RestoreDrillOutcome(BaseModel):
    flow_run_id: str
    figures: DrillFigures
    verdict: DrillVerdict
    record: DrillRecord


def _run_name() -> str:
    return f"restore-drill/{datetime.now(UTC):%Y-%m-%dT%H:%M}"


@flow(name="restore-drill", flow_run_name=_run_name, log_prints=True)
def restore_drill(params: RestoreDrillParams) -> RestoreDrillOutcome | State:
    """Restore a backup into a scratch database, compare, check, time it, and record the verdict."""
    run_id = str(runtime.flow_run.id)
    live = database_url()
    backup_id = take_drill_backup(live) if params.take_backup else params.backup_id
    chosen = choose_backup(live, backup_id)
    max_rpo = params.max_rpo_s if params.max_rpo_s is not None else get_settings().drill_max_rpo_s
    figures = DrillFigures(database=make_url(live).database or "", backup_id=chosen.backup_id,
                           backup_created_at=chosen.created_at, newest_backup_id=chosen.newest_id,
                           rpo_s=chosen.rpo_s, max_rpo_s=max_rpo)
    if chosen.backup_id is not None:
        restored = restore_into_scratch(live, chosen.backup_id)
        figures = figures.model_copy(update={
            "rto_s": restored.rto_s, "expected_fingerprint": restored.expected_fingerprint,
            "fingerprint": restored.fingerprint, "violations": restored.violations, "restore_error": restored.error})
    verdict = judge_drill(figures)
    record = record_drill(live, verdict, run_id)
    _publish(figures, verdict, record)
    outcome = RestoreDrillOutcome(flow_run_id=run_id, figures=figures, verdict=verdict, record=record)
    message = "restore drill " + ("passed" if verdict.ok else f"failed: {verdict.reason}")
    print(message)
    return Completed(message=message, data=outcome) if verdict.ok else Failed(message=message, data=outcome)


def _publish(figures: DrillFigures, verdict: DrillVerdict, record: DrillRecord) -> None:
    def show(value: object) -> str:
        return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    rows = [("database", figures.database), ("backup", figures.backup_id), ("newest backup", figures.newest_backup_id),
            ("RTO: restore seconds", figures.rto_s), ("RPO: newest backup's age, s", figures.rpo_s),
            ("RPO limit, s", figures.max_rpo_s), ("fingerprint at backup", figures.expected_fingerprint),
            ("fingerprint restored", figures.fingerprint),
            ("invariant violations", ", ".join(figures.violations) or "none"),
            ("restore error", figures.restore_error)]
    table = "\n".join(f"| {k} | {show(v)} |" for k, v in rows)
    incident = (f"incident #{record.incident_id} " + ("opened" if record.incident_opened else "updated")
                if record.incident_id else f"resolved incidents: {record.resolved or 'none open'}")
    status = "passed" if verdict.ok else "**failed**: " + verdict.reason
    create_markdown_artifact(f"# Restore drill {status}\n\n| | |\n|---|---|\n{table}\n\n{incident}\n",
                             key="restore-drill", description=f"restore drill of {figures.database}: "
                             + ("passed" if verdict.ok else "failed"))


def run_restore_drill(params: RestoreDrillParams) -> tuple[State, RestoreDrillOutcome | None]:
    """Run the flow tagged `phase:operate`; its final state and its outcome when it has one."""
    with tags("phase:operate"):
        state: State = restore_drill(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, RestoreDrillOutcome) else None
