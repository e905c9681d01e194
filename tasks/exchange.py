"""The data-exchange pass as Prefect tasks: each opens its own units of work, and holds its consumers' locks on
connections of the shared engine."""

from __future__ import annotations

from prefect import task
from pydantic import BaseModel, Field

from erp_models.integration.delivery_log import consumer_locks
from erp_models.integration.exchange import ExchangePass, run_exchange_pass
from erp_models.integration.http_sender import HttpxSender
from erp_models.integration.signing import RetryPolicy
from infra.db import UnitOfWork, get_engine


class RetrySettings(BaseModel):
    """Backoff and dead-letter bounds (the Prefect UI's form shows them)."""

    max_attempts: int = Field(default=6, ge=1, le=50, description="Attempts before a delivery is parked")
    base_delay_s: float = Field(default=2.0, gt=0, description="Wait after the first failure; doubles each time")
    max_delay_s: float = Field(default=600.0, gt=0, description="Longest wait between two attempts")
    max_age_s: float = Field(default=3600.0, gt=0, description="Park a delivery this long after its first attempt")
    timeout_s: float = Field(default=10.0, gt=0, description="HTTP timeout of one attempt")

    def policy(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, base_delay_s=self.base_delay_s,
                           max_delay_s=self.max_delay_s, max_age_s=self.max_age_s, timeout_s=self.timeout_s)


def exchange_once(retry: RetrySettings, *, webhooks: bool = True, stock: bool = True) -> ExchangePass:
    """One pass with a real HTTP sender: what the flow's tasks and `erpops exchange run` call."""
    policy = retry.policy()
    with HttpxSender(timeout_s=policy.timeout_s) as sender:
        return run_exchange_pass(UnitOfWork, consumer_locks(get_engine()), sender=sender, policy=policy,
                                 webhooks=webhooks, stock=stock)


@task(task_run_name="deliver webhooks")
def deliver_webhooks_task(retry: RetrySettings) -> ExchangePass:
    """Each active subscription's new events, POSTed signed; failures back off, then park as dead letters."""
    return exchange_once(retry, stock=False)


@task(task_run_name="sync channel stock")
def sync_stock_task(retry: RetrySettings) -> ExchangePass:
    """The SKUs whose available stock changed, one coalesced push per SKU and channel."""
    return exchange_once(retry, webhooks=False)


@task(task_run_name="publish the exchange table")
def publish_exchange_artifact(outcome: ExchangePass) -> None:
    """One row per consumer: what it read, delivered, retries and parked (artifact key `exchange-status`)."""
    from prefect.artifacts import create_table_artifact

    rows = [{"consumer": p.consumer, "target": p.target, "read": p.read, "delivered": p.delivered,
             "failed (will retry)": p.failed, "parked": p.parked, "busy": p.busy}
            for p in outcome.webhooks + outcome.stock]
    create_table_artifact(rows, key="exchange-status", description=f"data exchange: {outcome.summary()}")
