"""The delivery log shared by webhooks and stock sync: one row of attempts per delivery, dead letters, and the
advisory lock that keeps two workers off one consumer (two would deliver everything twice)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from erp_models.integration.exchange_models import DeliveryState, ExchangeDeadLetter, ExchangeDelivery
from erp_models.integration.http_sender import SendResult
from erp_models.integration.signing import RetryPolicy

ConsumerLocks = Callable[[str], AbstractContextManager[bool]]  # consumer -> its lock, yielding whether it was got


def consumer_locks(engine: Engine) -> ConsumerLocks:
    """Consumer locks on `engine`'s database (`consumer_lock`): what delivery takes besides its units of work."""
    return partial(consumer_lock, engine)


@contextmanager
def consumer_lock(engine: Engine, consumer: str) -> Iterator[bool]:
    """A session-level advisory lock on the consumer's name, held on its own idle connection: no transaction
    stays open while HTTP calls run. Yields False when another worker holds it."""
    with engine.connect() as conn:
        key = {"n": consumer}
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(hashtextextended(:n, 7))"), key).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(hashtextextended(:n, 7))"), key)
                conn.commit()


def delivery_row(session: Session, consumer: str, key: str) -> ExchangeDelivery | None:
    return session.get(ExchangeDelivery, (consumer, key))


def is_waiting(row: ExchangeDelivery | None, now: datetime) -> bool:
    """A failed delivery inside its backoff wait."""
    return (row is not None and row.state == DeliveryState.PENDING and row.next_attempt_at is not None
            and row.next_attempt_at > now)


def record_attempt(
    session: Session, *, consumer: str, key: str, result: SendResult, policy: RetryPolicy, now: datetime,
) -> DeliveryState:
    """Count one attempt; delivered, pending again after the backoff wait, or parked when the policy gives up.
    The caller writes the dead letter when it is parked (it knows what was sent)."""
    row = delivery_row(session, consumer, key)
    attempts = (row.attempts if row else 0) + 1
    first = row.first_attempt_at if row and row.attempts else now
    if result.ok:
        state, next_at = DeliveryState.DELIVERED, None
    elif policy.gives_up(failures=attempts, age_s=(now - first).total_seconds()):
        state, next_at = DeliveryState.PARKED, None
    else:
        state, next_at = DeliveryState.PENDING, now + timedelta(seconds=policy.delay_after(attempts))
    values = {"state": state, "attempts": attempts, "last_status": result.status, "last_error": result.error,
              "first_attempt_at": first, "last_attempt_at": now, "next_attempt_at": next_at,
              "delivered_at": now if result.ok else None, "stock_pending": state == DeliveryState.PENDING}
    session.execute(insert(ExchangeDelivery).values(consumer=consumer, key=key, **values)
                    .on_conflict_do_update(index_elements=["consumer", "key"], set_=values))
    return state


def park(session: Session, *, letter: dict[str, Any]) -> None:
    session.add(ExchangeDeadLetter(**letter))
