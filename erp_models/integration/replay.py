"""Replaying dead letters once their receiver is back: one attempt each, marked replayed when it lands.

A webhook is re-sent with the body it had (same event id, fresh timestamp and signature, the subscription's
current URL and secret). A stock figure is read anew: resending the parked figure could overwrite a newer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_models.errors import NotFound
from erp_models.integration.exchange_models import ExchangeDeadLetter, ExchangeKind, WebhookSubscription
from erp_models.integration.http_sender import Sender, SendResult
from erp_models.integration.signing import encode_body, signed_headers
from erp_models.integration.stock_sync import list_endpoints, stock_figures
from erp_models.integration.webhook_delivery import Clock, utc_now
from erp_models.uow import UnitsOfWork


@dataclass(frozen=True)
class ReplayResult:
    dead_letter_id: int
    delivered: bool
    error: str = ""


def replay_dead_letters(
    units: UnitsOfWork, *, sender: Sender, ids: Sequence[int] | None = None, clock: Clock = utc_now
) -> list[ReplayResult]:
    """Replay the given open dead letters (all open ones when `ids` is None)."""
    with units() as uow:
        session = uow.session
        query = select(ExchangeDeadLetter.id).where(ExchangeDeadLetter.replayed_at.is_(None))
        if ids is not None:
            query = query.where(ExchangeDeadLetter.id.in_(ids))
        open_ids = list(session.scalars(query.order_by(ExchangeDeadLetter.id)))
    missing = sorted(set(ids or []) - set(open_ids))
    if missing:
        raise NotFound(f"no open dead letter {missing[0]} (see `erpops webhooks dead-letters`)", ids=missing)
    return [_replay_one(units, letter_id, sender=sender, now=clock()) for letter_id in open_ids]


def _replay_one(units: UnitsOfWork, letter_id: int, *, sender: Sender, now: datetime) -> ReplayResult:
    with units() as uow:
        session = uow.session
        letter = session.get_one(ExchangeDeadLetter, letter_id, with_for_update=True)
        result = (_send_webhook(session, letter, sender, now) if letter.kind == ExchangeKind.WEBHOOK
                  else _send_stock(session, letter, sender, now))
        letter.replay_attempts += 1
        if result.ok:
            letter.replayed_at = now
        else:
            letter.last_error = result.error
        uow.commit()
    return ReplayResult(letter_id, result.ok, result.error)


def _send_webhook(session: Session, letter: ExchangeDeadLetter, sender: Sender, now: datetime) -> SendResult:
    sub = session.get(WebhookSubscription, letter.subscription_id) if letter.subscription_id else None
    if sub is None:
        return SendResult(ok=False, status=None, error="its subscription was removed; nothing to sign with")
    body = encode_body(letter.body)
    return sender.post(sub.url, body, signed_headers(secret=sub.secret, timestamp=int(now.timestamp()), body=body,
                                                     delivery_id=str(letter.event_id),
                                                     event_type=letter.event_type or ""))


def _send_stock(session: Session, letter: ExchangeDeadLetter, sender: Sender, now: datetime) -> SendResult:
    endpoint = next((e for e in list_endpoints(session) if e.channel == letter.channel), None)
    if endpoint is None or letter.sku is None:
        return SendResult(ok=False, status=None, error=f"channel {letter.channel} has no stock endpoint any more")
    figures = stock_figures(session, endpoint=endpoint, skus=[letter.sku])
    if not figures:
        return SendResult(ok=False, status=None, error=f"SKU {letter.sku} is not listed on {letter.channel} any more")
    document = figures[0].document(endpoint.channel) | {"as_of": now.isoformat()}
    body = encode_body(document)
    return sender.post(endpoint.url, body, signed_headers(
        secret=endpoint.secret, timestamp=int(now.timestamp()), body=body,
        delivery_id=f"{endpoint.channel}:{letter.sku}:{int(now.timestamp() * 1000)}", event_type="StockAvailable"))
