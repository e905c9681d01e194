"""Pushing owed stock figures to each channel's endpoint: drain the outbox into owed marks, then push each once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text

from erp_models.integration.delivery_log import ConsumerLocks, park, record_attempt
from erp_models.integration.exchange_models import DeliveryState, ExchangeKind
from erp_models.integration.http_sender import Sender
from erp_models.integration.outbox import acknowledge, claim_events
from erp_models.integration.signing import RetryPolicy, encode_body, signed_headers
from erp_models.integration.stock_sync import (
    StockEndpoint,
    StockFigure,
    list_endpoints,
    stock_consumer,
    stock_figures,
    touched_skus,
)
from erp_models.integration.webhook_delivery import Clock, ConsumerPass, utc_now
from erp_models.uow import UnitsOfWork

STOCK_EVENT_TYPE = "StockAvailable"

_MARK_OWED = text(
    # A SKU already owed keeps its backoff; a delivered or parked one owes a fresh push with fresh attempts.
    """INSERT INTO exchange_deliveries (consumer, key, state, attempts, stock_pending, first_attempt_at,
                                        last_attempt_at, next_attempt_at)
       SELECT :c, 'sku:' || s, 'pending', 0, true, :now, :now, :now FROM unnest(CAST(:skus AS text[])) AS s
       ON CONFLICT (consumer, key) DO UPDATE SET stock_pending = true,
           state = 'pending',
           attempts = CASE WHEN exchange_deliveries.state = 'pending' THEN exchange_deliveries.attempts ELSE 0 END,
           next_attempt_at = CASE WHEN exchange_deliveries.state = 'pending'
                                  THEN exchange_deliveries.next_attempt_at ELSE :now END"""
)


def sync_stock(
    units: UnitsOfWork, locks: ConsumerLocks, *, sender: Sender, policy: RetryPolicy, batch: int = 1000,
    max_batches: int = 50, only: Sequence[str] | None = None, clock: Clock = utc_now,
) -> list[ConsumerPass]:
    """One bounded pass over every active channel endpoint (or the channels in `only`)."""
    with units() as uow:
        session = uow.session
        endpoints = [e for e in list_endpoints(session, active_only=True) if only is None or e.channel in only]
    return [_sync_channel(units, locks, e, sender=sender, policy=policy, batch=batch, max_batches=max_batches,
                          clock=clock) for e in endpoints]


def _sync_channel(
    units: UnitsOfWork, locks: ConsumerLocks, endpoint: StockEndpoint, *, sender: Sender, policy: RetryPolicy,
    batch: int, max_batches: int, clock: Clock,
) -> ConsumerPass:
    consumer = stock_consumer(endpoint.channel)
    outcome = ConsumerPass(consumer=consumer, target=endpoint.channel)
    with locks(consumer) as got:
        if not got:
            outcome.busy = True
            return outcome
        for _ in range(max_batches):
            with units() as uow:
                session = uow.session
                events = claim_events(session, consumer=consumer, limit=batch)
                owed = stock_figures(session, endpoint=endpoint, skus=sorted(touched_skus(session, events)))
                if owed:
                    session.execute(_MARK_OWED, {"c": consumer, "skus": [f.sku for f in owed], "now": clock()})
                acknowledge(session, consumer=consumer, events=events)
                uow.commit()
            outcome.read += len(events)
            if len(events) < batch:
                break
        with units() as uow:
            session = uow.session
            due = session.scalars(text(
                """SELECT substr(key, 5) FROM exchange_deliveries WHERE consumer = :c AND stock_pending
                   AND next_attempt_at <= :now ORDER BY key"""), {"c": consumer, "now": clock()}).all()
            figures = stock_figures(session, endpoint=endpoint, skus=list(due))
            unlisted = sorted(set(due) - {f.sku for f in figures})  # delisted since it was marked: owed no more
            if unlisted:
                session.execute(text("""UPDATE exchange_deliveries SET stock_pending = false, state = 'delivered'
                                        WHERE consumer = :c AND key = ANY(:k)"""),
                                {"c": consumer, "k": [f"sku:{s}" for s in unlisted]})
                uow.commit()
        for figure in figures:
            state = push_figure(units, endpoint, consumer, figure, sender=sender, policy=policy, now=clock())
            outcome.delivered += state == DeliveryState.DELIVERED
            outcome.failed += state == DeliveryState.PENDING
            outcome.parked += state == DeliveryState.PARKED
    return outcome


def push_figure(
    units: UnitsOfWork, endpoint: StockEndpoint, consumer: str, figure: StockFigure, *, sender: Sender,
    policy: RetryPolicy, now: datetime,
) -> DeliveryState:
    """POST one SKU's figure, signed; record the attempt, and park it when the policy gives up."""
    document = figure.document(endpoint.channel) | {"as_of": now.isoformat()}
    body = encode_body(document)
    result = sender.post(endpoint.url, body, signed_headers(
        secret=endpoint.secret, timestamp=int(now.timestamp()), body=body,
        delivery_id=f"{endpoint.channel}:{figure.sku}:{int(now.timestamp() * 1000)}", event_type=STOCK_EVENT_TYPE))
    key = f"sku:{figure.sku}"
    with units() as uow:
        session = uow.session
        state = record_attempt(session, consumer=consumer, key=key, result=result, policy=policy, now=now)
        if state == DeliveryState.PARKED:
            attempts = session.scalar(text("SELECT attempts FROM exchange_deliveries WHERE consumer = :c AND key = :k"),
                                      {"c": consumer, "k": key})
            park(session, letter={"kind": ExchangeKind.STOCK, "consumer": consumer, "channel": endpoint.channel,
                                  "sku": figure.sku, "event_type": STOCK_EVENT_TYPE, "url": endpoint.url,
                                  "body": document, "attempts": int(attempts or 1), "last_error": result.error})
        uow.commit()
    return state
