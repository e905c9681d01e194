"""The transactional outbox: services record events with their change; consumers read each exactly once.

Order. An event is keyed (epoch, tx_id, id) and a consumer's position is the key of the last event it
acknowledged. ``tx_id`` is the writing transaction's id (``pg_current_xact_id()``). On one cluster it only
grows, and a consumer reads only events below the oldest transaction still in flight
(``pg_snapshot_xmin(pg_current_snapshot())``): an event whose id was drawn early but committed late is held
back, never skipped.

Restores. Transaction ids belong to one cluster: ``pg_dump``/``pg_restore`` onto another server (with a
lower counter) would sort new events before a consumer's position, and the restored events above the new
server's horizon. So each key starts with an epoch, a stretch of the outbox's life on one cluster, kept in
``outbox_epochs`` with the cluster's ``system_identifier`` (``pg_control_system()``, fixed at initdb; a
restore into another database of the same cluster keeps it, and the counter keeps growing there). The
column default ``outbox_epoch()`` (migration 0010) reuses the latest epoch while it is this cluster's and
otherwise starts the next one, so the first event written after a restore onto another cluster, and every
one after it, sorts after every restored event. Events of an epoch started on another cluster came from a
dump, which holds only committed rows: they are deliverable at once. Events of this cluster's epochs follow
the in-flight rule above. Positions and epochs are plain rows, so they travel in the dump.
"""

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
    epoch: int
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


# An event of an epoch begun on another cluster was restored from a dump, hence committed.
_NEXT_EVENTS = text(
    """SELECT e.id, e.epoch, e.tx_id, e.event_type, e.aggregate_type, e.aggregate_id, e.payload
       FROM outbox_events e JOIN outbox_epochs p ON p.epoch = e.epoch
       WHERE (e.epoch, e.tx_id, e.id) > (:epoch, :tx, :id)
         AND (p.system_identifier <> (SELECT system_identifier FROM pg_control_system())
              OR e.tx_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint)
       ORDER BY e.epoch, e.tx_id, e.id LIMIT :limit"""
)


def claim_events(session: Session, *, consumer: str, limit: int = 500) -> list[Event]:
    """The consumer's next events in commit order, its position locked until the transaction ends.

    Call `acknowledge` in the same transaction as the consumer's own work: either both commit, or the
    same events come back next time. Concurrent calls for one consumer wait for each other.
    """
    session.execute(
        text("INSERT INTO outbox_consumers (name) VALUES (:n) ON CONFLICT (name) DO NOTHING"), {"n": consumer}
    )
    last_epoch, last_tx, last_id = session.execute(
        text("SELECT last_epoch, last_tx_id, last_event_id FROM outbox_consumers WHERE name = :n FOR UPDATE"),
        {"n": consumer},
    ).one()
    rows = session.execute(_NEXT_EVENTS, {"epoch": last_epoch, "tx": last_tx, "id": last_id, "limit": limit}).all()
    return [Event(*row) for row in rows]


def acknowledge(session: Session, *, consumer: str, events: Sequence[Event]) -> None:
    """Move the consumer past `events` (the list `claim_events` returned)."""
    if events:
        last = events[-1]
        session.execute(
            text(
                """UPDATE outbox_consumers SET last_epoch = :epoch, last_tx_id = :tx, last_event_id = :id,
                   updated_at = now() WHERE name = :n"""
            ),
            {"epoch": last.epoch, "tx": last.tx_id, "id": last.id, "n": consumer},
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


_LAST_DELIVERABLE = text(
    """SELECT e.epoch, e.tx_id, e.id FROM outbox_events e JOIN outbox_epochs p ON p.epoch = e.epoch
       WHERE p.system_identifier <> (SELECT system_identifier FROM pg_control_system())
          OR e.tx_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
       ORDER BY e.epoch DESC, e.tx_id DESC, e.id DESC LIMIT 1"""
)


def start_at_end(session: Session, *, consumer: str) -> None:
    """Create (or move) the consumer's position after every event already deliverable: it will read only what
    comes next. An event still in flight sorts after that position, so it is not skipped."""
    last = session.execute(_LAST_DELIVERABLE).one_or_none()
    epoch, tx, event_id = (int(last[0]), int(last[1]), int(last[2])) if last else (0, 0, 0)
    session.execute(
        text("""INSERT INTO outbox_consumers (name, last_epoch, last_tx_id, last_event_id)
                VALUES (:n, :e, :t, :i) ON CONFLICT (name) DO UPDATE
                SET last_epoch = :e, last_tx_id = :t, last_event_id = :i, updated_at = now()"""),
        {"n": consumer, "e": epoch, "t": tx, "i": event_id},
    )


def forget_consumer(session: Session, *, consumer: str) -> None:
    """Drop a consumer that no longer reads (its position would otherwise show as ever-growing lag)."""
    session.execute(text("DELETE FROM outbox_consumers WHERE name = :n"), {"n": consumer})
