"""Reading the ERP's outbox from flows: each consumer gets every committed event once, in order."""

from __future__ import annotations

from typing import Any

from prefect import task
from pydantic import BaseModel

from erp_models.integration.outbox import process_events
from infra.db import UnitOfWork


class OutboxEvent(BaseModel):
    id: int
    event_type: str
    aggregate_type: str
    aggregate_id: int
    payload: dict[str, Any]


class OutboxBatch(BaseModel):
    """Events handed to one consumer; they are acknowledged, so the next read starts after them."""

    consumer: str
    events: list[OutboxEvent]

    def count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.events:
            counts[event.event_type] = counts.get(event.event_type, 0) + 1
        return counts


@task
def read_outbox(consumer: str, limit: int = 500) -> OutboxBatch:
    """The consumer's next events. Reading and acknowledging commit together: a flow sees each event once.
    A flow whose effect must commit with the acknowledgement uses `process_events` inside one task."""
    with UnitOfWork() as uow:
        events = process_events(uow.session, consumer=consumer, handle=lambda _s, _e: None, limit=limit)
        uow.commit()
    return OutboxBatch(
        consumer=consumer,
        events=[OutboxEvent(id=e.id, event_type=e.event_type, aggregate_type=e.aggregate_type,
                            aggregate_id=e.aggregate_id, payload=e.payload) for e in events],
    )
