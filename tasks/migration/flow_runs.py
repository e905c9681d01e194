"""The Prefect side of resuming a migration run: the killed flow run it replaces is marked crashed."""

from __future__ import annotations

import uuid

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.states import Crashed

from erp_models.migration.service.results import RunPlan


@task
def mark_replaced_flow_run(plan: RunPlan, flow_run: uuid.UUID) -> None:
    """The flow run a resume replaces was killed, so Prefect still shows it running: mark it crashed.

    Bookkeeping only: when Prefect refuses, the resume goes on and the reason is logged."""
    if plan.replaced_flow_run is None:
        return
    with get_client(sync_client=True) as client:
        try:
            old = client.read_flow_run(plan.replaced_flow_run)
            if old.state is None or not old.state.is_final():
                client.set_flow_run_state(plan.replaced_flow_run, Crashed(
                    message=f"killed; migration run {plan.run_id} was resumed by flow run {flow_run}"), force=True)
        except (ObjectNotFound, PrefectHTTPStatusError) as exc:  # e.g. a flow run of another Prefect server
            get_run_logger().warning("flow run %s not marked crashed: %s", plan.replaced_flow_run, exc)
