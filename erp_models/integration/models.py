"""Integration: the transactional outbox of domain events and the position of each consumer in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, IntPK


class OutboxEpoch(Base):
    """A stretch of the outbox's life on one PostgreSQL cluster; a restore onto another cluster starts the next.

    Written by the database function ``outbox_epoch()`` (the default of ``outbox_events.epoch``) on the first
    event after the cluster's ``system_identifier`` changed; see ``erp_models.integration.outbox``.
    """

    __tablename__ = "outbox_epochs"
    __table_args__ = ({"info": {"erp_content": False}},)

    epoch: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    system_identifier: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), info={"fingerprint": False}
    )


class OutboxEvent(Base):
    """A past-tense domain event (``OrderPlaced``, ``GoodsReceived``) written with the change it reports.

    ``epoch`` names the cluster stretch it was written in, ``tx_id`` the writing transaction's id on that
    cluster. Consumers read in (epoch, tx_id, id) order and, within the current cluster's epochs, only
    below the oldest transaction still in flight, so an event whose id was drawn early but committed late
    is never skipped.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_epoch_tx_id_id", "epoch", "tx_id", "id"),
        {"info": {"erp_content": False}},
    )

    id: Mapped[IntPK]
    epoch: Mapped[int] = mapped_column(Integer, server_default=text("outbox_epoch()"), info={"fingerprint": False})
    tx_id: Mapped[int] = mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id()::text)::bigint"), info={"fingerprint": False}
    )
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), info={"fingerprint": False}
    )
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    aggregate_type: Mapped[str] = mapped_column(String(64))
    aggregate_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)


class OutboxConsumer(Base):
    """How far one named consumer has read the outbox: the (epoch, tx_id, id) of its last event."""

    __tablename__ = "outbox_consumers"
    __table_args__ = (
        CheckConstraint("last_event_id >= 0", name="last_event_id_nonnegative"),
        {"info": {"erp_content": False}},
    )

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_tx_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), info={"fingerprint": False}
    )
