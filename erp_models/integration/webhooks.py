"""Webhook subscriptions and the dead-letter list: what the `erpops webhooks` commands read and change."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput, NotFound
from erp_models.integration.exchange_models import ExchangeDeadLetter, ExchangeDelivery, WebhookSubscription
from erp_models.integration.outbox import forget_consumer, start_at_end
from erp_models.integration.signing import new_secret

ALL_TYPES = "*"
_EVENT_TYPE = re.compile(r"^[A-Z][A-Za-z]{2,63}$")  # past-tense CamelCase, as the services record them


def webhook_consumer(subscription_id: int) -> str:
    """The subscription's outbox consumer name: the monitor's `outbox.lag_min` names it when it lags."""
    return f"webhook.{subscription_id}"


@dataclass(frozen=True)
class Subscription:
    id: int
    name: str
    url: str
    event_types: list[str]
    secret: str
    active: bool
    created_by: str

    def wants(self, event_type: str) -> bool:
        return ALL_TYPES in self.event_types or event_type in self.event_types


def check_url(url: str) -> str:
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"not an http(s) URL: {url!r}", url=url)
    return url


def _view(row: WebhookSubscription) -> Subscription:
    return Subscription(row.id, row.name, row.url, list(row.event_types), row.secret, row.active, row.created_by)


def add_subscription(
    session: Session, *, name: str, url: str, event_types: Sequence[str], created_by: str, secret: str | None = None
) -> Subscription:
    """Subscribe `url` to `event_types` (``*`` for all) from now on: past events are not sent."""
    types = sorted({t.strip() for t in event_types if t.strip()})
    if not types:
        raise InvalidInput("a subscription needs at least one event type (or '*')")
    bad = [t for t in types if t != ALL_TYPES and not _EVENT_TYPE.match(t)]
    if bad:
        raise InvalidInput(f"not an event type: {bad[0]!r} (CamelCase like OrderPlaced, or '*')", types=bad)
    if not name.strip():
        raise InvalidInput("a subscription needs a name")
    if session.scalar(select(WebhookSubscription.id).where(WebhookSubscription.name == name)) is not None:
        raise InvalidInput(f"a subscription named {name!r} exists already", name=name)
    row = WebhookSubscription(name=name, url=check_url(url), event_types=types, secret=secret or new_secret(),
                              active=True, created_by=created_by)
    session.add(row)
    session.flush()
    start_at_end(session, consumer=webhook_consumer(row.id))
    return _view(row)


def find_subscription(session: Session, ref: str) -> WebhookSubscription:
    """By id or by name."""
    query = select(WebhookSubscription)
    query = query.where(WebhookSubscription.id == int(ref)) if ref.isdigit() else query.where(
        WebhookSubscription.name == ref)
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound(f"no webhook subscription {ref!r}", ref=ref)
    return row


def list_subscriptions(session: Session, *, active_only: bool = False) -> list[Subscription]:
    query = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if active_only:
        query = query.where(WebhookSubscription.active)
    return [_view(row) for row in session.scalars(query)]


def remove_subscription(session: Session, *, ref: str) -> Subscription:
    """Delete the subscription, its consumer position and delivery log; its dead letters stay, unlinked."""
    row = find_subscription(session, ref)
    view, consumer = _view(row), webhook_consumer(row.id)
    session.execute(delete(ExchangeDelivery).where(ExchangeDelivery.consumer == consumer))
    forget_consumer(session, consumer=consumer)
    session.delete(row)
    session.flush()
    return view


@dataclass(frozen=True)
class DeadLetter:
    id: int
    kind: str
    target: str  # the subscription's name, or the channel
    event_id: int | None
    event_type: str | None
    sku: str | None
    url: str
    attempts: int
    last_error: str
    parked_at: datetime
    replayed_at: datetime | None


def list_dead_letters(session: Session, *, include_replayed: bool = False) -> list[DeadLetter]:
    query = (select(ExchangeDeadLetter, WebhookSubscription.name)
             .outerjoin(WebhookSubscription, WebhookSubscription.id == ExchangeDeadLetter.subscription_id)
             .order_by(ExchangeDeadLetter.id))
    if not include_replayed:
        query = query.where(ExchangeDeadLetter.replayed_at.is_(None))
    return [DeadLetter(d.id, d.kind.value, name or d.channel or d.consumer, d.event_id, d.event_type, d.sku, d.url,
                       d.attempts, d.last_error, d.parked_at, d.replayed_at) for d, name in session.execute(query)]


def consumer_positions(session: Session, prefixes: Sequence[str] = ("webhook.", "stock.")) -> dict[str, int]:
    """The last event id each exchange consumer has passed (what `erpops exchange run --json` shows)."""
    rows = session.execute(text("SELECT name, last_event_id FROM outbox_consumers ORDER BY name")).all()
    return {str(n): int(i) for n, i in rows if str(n).startswith(tuple(prefixes))}
