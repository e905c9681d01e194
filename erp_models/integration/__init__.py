"""Integration area: the transactional outbox and its consumers."""

from erp_models.integration.models import OutboxConsumer, OutboxEpoch, OutboxEvent

__all__ = ["OutboxConsumer", "OutboxEpoch", "OutboxEvent"]
