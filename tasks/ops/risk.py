"""The ops-risk flow's tasks: read the monitor's newest runs from Prefect, raise the risk in the ERP's register."""

from __future__ import annotations

from prefect import task
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort

from erp_models.errors import DomainError
from erp_models.project.gates import raise_risk
from erp_models.project.loading import project_by_code
from infra.db import UnitOfWork

RISK_CODE = "OPS-MONITOR"
FINAL = [StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED]


@task(task_run_name="read the newest monitor runs")
def newest_run_states(flow_name: str, runs: int) -> list[str]:
    with get_client(sync_client=True) as client:
        found = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                                      flow_run_filter=FlowRunFilter(
                                          state=FlowRunFilterState(type=FlowRunFilterStateType(any_=FINAL))),
                                      sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=runs)
    return [r.state.type.value if r.state else "UNKNOWN" for r in found]


@task(task_run_name="raise the monitor risk")
def raise_monitor_risk(runs: int) -> str | None:
    with UnitOfWork() as uow:
        try:
            project = project_by_code(uow.session, None)
        except DomainError:
            return None  # no plan loaded: the failed runs and the automation's events are the record
        raise_risk(uow.session, project_id=project.id, code=RISK_CODE, owner="IT operations",
                   title=f"The ERP monitor failed {runs} runs in a row",
                   mitigation="Read the monitor's status artifact and `erpops ops incidents list`; fix the open "
                              "incidents or acknowledge them; the monitor's next passing run resolves them")
        uow.commit()
    return RISK_CODE
