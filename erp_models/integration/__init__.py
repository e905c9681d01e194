"""Integration area: the transactional outbox, its consumers, and the data exchange that reads it."""

from erp_models.integration.exchange_models import (
    ChannelStockEndpoint,
    ExchangeDeadLetter,
    ExchangeDelivery,
    WebhookSubscription,
)
from erp_models.integration.models import OutboxConsumer, OutboxEpoch, OutboxEvent

__all__ = [
    "ChannelStockEndpoint",
    "ExchangeDeadLetter",
    "ExchangeDelivery",
    "OutboxConsumer",
    "OutboxEpoch",
    "OutboxEvent",
    "WebhookSubscription",
]
