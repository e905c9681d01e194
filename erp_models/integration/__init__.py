"""Integration area: the transactional outbox and its consumers."""

from erp_models.integration.models import OutboxConsumer, OutboxEvent

__all__ = ["OutboxConsumer", "OutboxEvent"]
