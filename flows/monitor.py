"""Operate phase: the monitor. One bounded pass over the database, the API, the invariants, live data quality (GX),
the outbox and the KPIs; every violation becomes an incident and a Prefect event, passing checks resolve theirs.

The flow run ends Failed, with the violations as its message, while any incident the monitor owns is open.
Deployed on an interval (infra/prefect.yaml); `erpops ops monitor` runs it once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, runtime, tags
from prefect.client.schemas.objects import State
from prefect.states import Failed
from pydantic import BaseModel, Field

from erp_models.ops.monitor import merge
from tasks.ops.monitor import (
    check_invariants,
    check_live_quality,
    database_name,
    measure_kpis,
    probe_database,
    probe_outbox,
)
from tasks.ops.monitor_api import probe_api
from tasks.ops.monitor_artifacts import publish_monitor_artifacts
from tasks.ops.monitor_report import MonitorOutcome, MonitorStatus, emit_violations, judge_and_report
from tasks.ops.spec import resolve_monitor_spec


class MonitorParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    plan_file: str | None = Field(default=None, description="A plan file whose `operations.monitor` section sets "
                                  "the limits; default: the built-in limits")
    api_url: str | None = Field(default=None, description="A running ERP API; default: start one on loopback")
    skip_api: bool = Field(default=False, description="Leave the API out (its checks are then not judged)")


def _run_name() -> str:
    return f"monitor/{datetime.now(UTC):%Y-%m-%dT%H:%M}"


@flow(name="monitor", flow_run_name=_run_name, log_prints=True)
def monitor(params: MonitorParams) -> MonitorOutcome | State:
    """Probe, judge, report incidents and events, publish; Failed while a monitor incident is open."""
    run_id = str(runtime.flow_run.id)
    spec = resolve_monitor_spec(params.plan_file)
    database = database_name()
    found = [probe_database()]
    if found[0].figures.get("db.reachable"):
        found += [check_invariants(), check_live_quality(spec), probe_outbox(), measure_kpis(spec)]
        if not params.skip_api:
            found.append(probe_api(spec, params.api_url))
    if params.skip_api:
        spec = spec.model_copy(update={"disabled": [*spec.disabled, "api.health_p95_ms", "api.read_p95_ms",
                                                     "api.error_ratio"]})
    outcome = judge_and_report(merge(found), spec, run_id, f"monitor flow run {run_id}", database)
    outcome.events_emitted = emit_violations(outcome)
    publish_monitor_artifacts(outcome, spec)
    print(f"monitor {database}: {outcome.status.value}" + (f" ({outcome.reason})" if outcome.reason else ""))
    if outcome.status is MonitorStatus.FAILED:
        return Failed(message=outcome.reason, data=outcome)
    return outcome


def run_monitor(params: MonitorParams) -> tuple[State, MonitorOutcome | None]:
    """Run the flow tagged `phase:operate`; its final state, and its outcome when it has one."""
    with tags("phase:operate"):
        state: State = monitor(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, MonitorOutcome) else None
