"""Data exchange, one pass: webhooks then channel stock sync, with a verdict a flow run or a worker can show."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from erp_models.integration.delivery_log import ConsumerLocks
from erp_models.integration.http_sender import Sender
from erp_models.integration.signing import RetryPolicy
from erp_models.integration.stock_delivery import sync_stock
from erp_models.integration.webhook_delivery import ConsumerPass, deliver_webhooks
from erp_models.uow import UnitsOfWork


class PassStatus(StrEnum):
    PASSED = "passed"  # nothing parked
    FAILED = "failed"  # a delivery was parked as a dead letter


@dataclass
class ExchangePass:
    webhooks: list[ConsumerPass] = field(default_factory=list)
    stock: list[ConsumerPass] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(p, name)) for p in self.webhooks + self.stock)

    @property
    def ok(self) -> bool:
        """Nothing was parked in this pass (failed attempts that will be retried do not fail it)."""
        return self.total("parked") == 0

    @property
    def status(self) -> PassStatus:
        return PassStatus.PASSED if self.ok else PassStatus.FAILED

    def summary(self) -> str:
        counts = ", ".join(f"{self.total(n)} {n}" for n in ("read", "delivered", "failed", "parked"))
        return f"{len(self.webhooks)} subscriptions, {len(self.stock)} channels: {counts}"

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "ok": self.ok, "summary": self.summary(),
                "totals": {n: self.total(n) for n in ("read", "delivered", "failed", "parked", "skipped")},
                "webhooks": [asdict(p) for p in self.webhooks], "stock": [asdict(p) for p in self.stock]}


def run_exchange_pass(
    units: UnitsOfWork, locks: ConsumerLocks, *, sender: Sender, policy: RetryPolicy, webhooks: bool = True,
    stock: bool = True,
) -> ExchangePass:
    """Deliver what the outbox holds for each subscription and channel, within the policy's bounds."""
    outcome = ExchangePass()
    if webhooks:
        outcome.webhooks = deliver_webhooks(units, locks, sender=sender, policy=policy)
    if stock:
        outcome.stock = sync_stock(units, locks, sender=sender, policy=policy)
    return outcome
