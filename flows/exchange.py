"""Operate phase: data exchange. One bounded pass that delivers the outbox to webhook subscriptions and pushes
changed stock figures to each channel's endpoint, under named outbox consumers (``webhook.<id>``,
``stock.<channel>``) whose lag the monitor's `outbox.lag_min` check reports.

The run ends Failed when the pass parked a delivery as a dead letter (`erpops webhooks dead-letters`); failed
attempts that will be retried do not fail it. Deployed on an interval (infra/prefect.yaml); `erpops exchange run`
is the same pass as a long-running worker.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, tags
from prefect.client.schemas.objects import State
from prefect.states import Failed
from pydantic import BaseModel, Field

from erp_models.integration.exchange import ExchangePass
from tasks.exchange import RetrySettings, deliver_webhooks_task, publish_exchange_artifact, sync_stock_task


class ExchangeParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    webhooks: bool = Field(default=True, description="Deliver webhook subscriptions")
    stock: bool = Field(default=True, description="Push changed stock figures to the channels")
    retry: RetrySettings = Field(default_factory=RetrySettings)


def _run_name() -> str:
    return f"exchange/{datetime.now(UTC):%Y-%m-%dT%H:%M}"


@flow(name="exchange", flow_run_name=_run_name, log_prints=True)
def exchange(params: ExchangeParams) -> ExchangePass | State:
    """Deliver webhooks, sync channel stock, publish the table; Failed when something was parked."""
    outcome = ExchangePass()
    if params.webhooks:
        outcome.webhooks = deliver_webhooks_task(params.retry).webhooks
    if params.stock:
        outcome.stock = sync_stock_task(params.retry).stock
    publish_exchange_artifact(outcome)
    print(f"exchange: {outcome.summary()}")
    if not outcome.ok:
        return Failed(message=f"{outcome.total('parked')} deliveries parked as dead letters "
                              "(erpops webhooks dead-letters; replay when the receiver is back)", data=outcome)
    return outcome


def run_exchange(params: ExchangeParams) -> tuple[State, ExchangePass | None]:
    """Run the flow tagged `phase:operate`; its final state, and its outcome when it has one."""
    with tags("phase:operate"):
        state: State = exchange(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, ExchangePass) else None
