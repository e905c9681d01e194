"""The transactional outbox: services record events with their change; consumers read each exactly once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from erp_models.integration.models import OutboxEvent


@dataclass(frozen=True)
class Event:
    """One event as a consumer sees it."""

    id: int
    tx_id: int
    event_type: str
    aggregate_type: str
    aggregate_id: int
    payload: dict[str, Any]


def record_events(session: Session, events: Sequence[tuple[str, str, int, dict[str, Any]]]) -> None:
    """Append (event_type, aggregate_type, aggregate_id, payload) events in the caller's transaction."""
    if events:
        session.execute(
            insert(OutboxEvent),
            [{"event_type": e, "aggregate_type": a, "aggregate_id": i, "payload": p} for e, a, i, p in events],
        )


def record_event(session: Session, event_type: str, aggregate_type: str, aggregate_id: int, **payload: Any) -> None:
    record_events(session, [(event_type, aggregate_type, aggregate_id, payload)])


def claim_events(session: Session, *, consumer: str, limit: int = 500) -> list[Event]:
    """The consumer's next events in commit order, its position locked until the transaction ends.

    Call `acknowledge` in the same transaction as the consumer's own work: either both commit, or the
    same events come back next time. Concurrent calls for one consumer wait for each other.
    """
    session.execute(
        text("INSERT INTO outbox_consumers (name) VALUES (:n) ON CONFLICT (name) DO NOTHING"), {"n": consumer}
    )
    last_tx, last_id = session.execute(
        text("SELECT last_tx_id, last_event_id FROM outbox_consumers WHERE name = :n FOR UPDATE"), {"n": consumer}
    ).one()
    rows = session.execute(
        text(
            """SELECT id, tx_id, event_type, aggregate_type, aggregate_id, payload FROM outbox_events
               WHERE (tx_id, id) > (:tx, :id)
                 AND tx_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
               ORDER BY tx_id, id LIMIT :limit"""
        ),
        {"tx": last_tx, "id": last_id, "limit": limit},
    ).all()
    return [Event(*row) for row in rows]


def acknowledge(session: Session, *, consumer: str, events: Sequence[Event]) -> None:
    """Move the consumer past `events` (the list `claim_events` returned)."""
    if events:
        last = events[-1]
        session.execute(
            text(
                """UPDATE outbox_consumers SET last_tx_id = :tx, last_event_id = :id, updated_at = now()
                   WHERE name = :n"""
            ),
            {"tx": last.tx_id, "id": last.id, "n": consumer},
        )


def process_events(
    session: Session, *, consumer: str, handle: Callable[[Session, Event], None], limit: int = 500
) -> list[Event]:
    """Claim, handle and acknowledge in the caller's transaction: when it commits, each event has had
    exactly one effect; when it rolls back, the same events come again."""
    events = claim_events(session, consumer=consumer, limit=limit)
    for event in events:
        handle(session, event)
    acknowledge(session, consumer=consumer, events=events)
    return events
