"""Data exchange: webhook subscriptions, channel stock-sync endpoints, delivery attempts and dead letters."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, IntPK
from erp_models.enums import checked_enum


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # failed at least once, waiting for its next attempt
    DELIVERED = "delivered"
    PARKED = "parked"  # gave up: a dead letter holds it


class ExchangeKind(enum.StrEnum):
    WEBHOOK = "webhook"
    STOCK = "stock"


class WebhookSubscription(Base):
    """An outside system that wants the outbox's events of some types POSTed to `url`, signed with `secret`.

    Each subscription reads the outbox under its own consumer position (``webhook.<id>``)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = ({"info": {"erp_content": False}},)

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(64)))  # ["*"] means every type
    secret: Mapped[str] = mapped_column(String(200), info={"fingerprint": False})
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChannelStockEndpoint(Base):
    """Where a sales channel wants our available stock per SKU pushed (one endpoint per channel).

    `listed_only`: push only SKUs with an active listing on the channel (with their channel SKU code)."""

    __tablename__ = "channel_stock_endpoints"
    __table_args__ = ({"info": {"erp_content": False}},)

    id: Mapped[IntPK]
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200), info={"fingerprint": False})
    listed_only: Mapped[bool] = mapped_column(Boolean, server_default="true")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExchangeDelivery(Base):
    """The attempts at one delivery: a webhook event to one subscription, or a SKU's figure to one channel.

    `consumer` is the outbox consumer it belongs to; `key` is ``event:<id>`` or ``sku:<code>`` (a SKU's row is
    reused by its next push, so stock sync keeps one row per channel and SKU)."""

    __tablename__ = "exchange_deliveries"
    __table_args__ = (
        Index("ix_exchange_deliveries_state_next", "state", "next_attempt_at"),
        {"info": {"erp_content": False}},
    )

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[DeliveryState] = mapped_column(checked_enum(DeliveryState, "state"))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status, None when unreachable
    last_error: Mapped[str] = mapped_column(Text, server_default="")
    first_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stock sync: a pending push waiting for its (first or next) attempt; the figure is read when it is sent.
    stock_pending: Mapped[bool] = mapped_column(Boolean, server_default="false")


class ExchangeDeadLetter(Base):
    """A delivery that failed `max_attempts` times, parked until `erpops webhooks replay` sends it again."""

    __tablename__ = "exchange_dead_letters"
    __table_args__ = (
        Index("ix_exchange_dead_letters_open", "parked_at", postgresql_where="replayed_at IS NULL"),
        {"info": {"erp_content": False}},
    )

    id: Mapped[IntPK]
    kind: Mapped[ExchangeKind] = mapped_column(checked_enum(ExchangeKind, "kind"))
    consumer: Mapped[str] = mapped_column(String(64))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    event_type: Mapped[str | None] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)  # what was sent (a stock replay reads the figure anew)
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, server_default="")
    parked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    replayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replay_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
