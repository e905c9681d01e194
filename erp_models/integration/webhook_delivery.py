"""Delivering the outbox to webhook subscriptions, at least once and in order, each under its own consumer.

A subscription's position advances only past events that were delivered or parked as dead letters, in the
same transaction that records it: a crash between the POST and that commit sends the event again (receivers
deduplicate by the event id header). A failing receiver holds its subscription back (order is kept) until the
retry policy parks the event; the other subscriptions go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from erp_models.integration.delivery_log import ConsumerLocks, delivery_row, is_waiting, park, record_attempt
from erp_models.integration.exchange_models import DeliveryState, ExchangeKind
from erp_models.integration.http_sender import Sender
from erp_models.integration.outbox import Event, acknowledge, claim_events
from erp_models.integration.signing import RetryPolicy, encode_body, signed_headers
from erp_models.integration.webhooks import Subscription, list_subscriptions, webhook_consumer
from erp_models.uow import UnitsOfWork

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ConsumerPass:
    """What one pass did for one consumer (a subscription or a channel)."""

    consumer: str
    target: str
    read: int = 0
    delivered: int = 0
    failed: int = 0  # attempts that failed and will be retried
    parked: int = 0
    skipped: int = 0  # events of types the subscription does not want
    busy: bool = False  # another worker held the consumer
    errors: list[str] = field(default_factory=list)


def event_document(event: Event) -> dict[str, Any]:
    """The JSON a receiver gets: the event id is its deduplication key."""
    return {"id": event.id, "type": event.event_type,
            "aggregate": {"type": event.aggregate_type, "id": event.aggregate_id}, "data": event.payload}


def deliver_webhooks(
    units: UnitsOfWork, locks: ConsumerLocks, *, sender: Sender, policy: RetryPolicy, limit: int = 200,
    only: Sequence[int] | None = None, clock: Clock = utc_now,
) -> list[ConsumerPass]:
    """One bounded pass over every active subscription (or those in `only`)."""
    with units() as uow:
        session = uow.session
        subscriptions = [s for s in list_subscriptions(session, active_only=True) if only is None or s.id in only]
    return [_deliver_to(units, locks, sub, sender=sender, policy=policy, limit=limit, clock=clock)
            for sub in subscriptions]


def _deliver_to(
    units: UnitsOfWork, locks: ConsumerLocks, sub: Subscription, *, sender: Sender, policy: RetryPolicy, limit: int,
    clock: Clock,
) -> ConsumerPass:
    consumer = webhook_consumer(sub.id)
    outcome = ConsumerPass(consumer=consumer, target=sub.name)
    with locks(consumer) as got:
        if not got:
            outcome.busy = True
            return outcome
        with units() as uow:
            session = uow.session
            events = claim_events(session, consumer=consumer, limit=limit)
            uow.commit()
        outcome.read = len(events)
        passed: list[Event] = []  # handled events not yet acknowledged
        for event in events:
            if not sub.wants(event.event_type):
                outcome.skipped += 1
                passed.append(event)
                continue
            state = _deliver_event(units, sub, consumer, event, sender=sender, policy=policy, now=clock())
            if state == DeliveryState.PENDING:
                outcome.failed += 1
                break  # keep the order: the next events wait for this one
            passed.clear()
            outcome.delivered += state == DeliveryState.DELIVERED
            outcome.parked += state == DeliveryState.PARKED
        if passed:
            with units() as uow:
                session = uow.session
                acknowledge(session, consumer=consumer, events=passed)
                uow.commit()
    return outcome


def _deliver_event(
    units: UnitsOfWork, sub: Subscription, consumer: str, event: Event, *, sender: Sender, policy: RetryPolicy,
    now: datetime,
) -> DeliveryState:
    key = f"event:{event.id}"
    with units() as uow:
        session = uow.session
        row = delivery_row(session, consumer, key)
        if is_waiting(row, now):
            return DeliveryState.PENDING
        if row is not None and row.state != DeliveryState.PENDING:  # recorded before a crash lost the ack
            acknowledge(session, consumer=consumer, events=[event])
            uow.commit()
            return row.state
    document = event_document(event)
    body = encode_body(document)
    result = sender.post(sub.url, body, signed_headers(secret=sub.secret, timestamp=int(now.timestamp()), body=body,
                                                       delivery_id=str(event.id), event_type=event.event_type))
    with units() as uow:
        session = uow.session
        state = record_attempt(session, consumer=consumer, key=key, result=result, policy=policy, now=now)
        if state == DeliveryState.PARKED:
            attempts = delivery_row(session, consumer, key)
            park(session, letter={"kind": ExchangeKind.WEBHOOK, "consumer": consumer, "subscription_id": sub.id,
                                  "event_id": event.id, "event_type": event.event_type, "url": sub.url,
                                  "body": document, "attempts": attempts.attempts if attempts else 1,
                                  "last_error": result.error})
        if state != DeliveryState.PENDING:
            acknowledge(session, consumer=consumer, events=[event])
        uow.commit()
    return state
