"""Channel stock sync: which SKUs a batch of outbox events touched, and the available figure to push per channel.

Coalescing: a pass first reads every pending event (in bounded batches) and only marks the touched SKUs as owed
(one delivery row per channel and SKU, so 100 orders for one SKU mark it once); it then pushes each owed SKU
once, with the figure read at push time, which is the latest. A channel's position advances when the marks
commit, so a push that fails stays owed (with backoff) and no change is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from erp_models.integration.exchange_models import ChannelStockEndpoint
from erp_models.integration.outbox import Event, forget_consumer, start_at_end
from erp_models.integration.signing import new_secret
from erp_models.integration.webhooks import check_url
from erp_models.sales.vocabulary import channel_id

# Events after which a SKU's available (on_hand - reserved, over all warehouses) may differ. Transfers and
# shipments move or consume reserved stock without changing it.
SKU_EVENTS = frozenset({"StockAdjusted", "StockReserved", "StockReleased", "StockCounted"})
ORDER_EVENTS = frozenset({"OrderCancelled", "ReturnReceived"})  # the order's lines name the SKUs


def stock_consumer(channel: str) -> str:
    return f"stock.{channel}"


@dataclass(frozen=True)
class StockEndpoint:
    channel: str
    url: str
    secret: str
    listed_only: bool
    active: bool


@dataclass(frozen=True)
class StockFigure:
    sku: str
    channel_sku: str | None
    available: int

    def document(self, channel: str) -> dict[str, object]:
        return {"channel": channel, "sku": self.sku, "channel_sku": self.channel_sku, "available": self.available}


def touched_skus(session: Session, events: Iterable[Event]) -> set[str]:
    skus: set[str] = set()
    orders: set[int] = set()
    for event in events:
        if event.event_type in SKU_EVENTS and event.payload.get("sku"):
            skus.add(str(event.payload["sku"]))
        elif event.event_type == "GoodsReceived":
            skus.update(str(line["sku"]) for line in event.payload.get("lines", []) if line.get("sku"))
        elif event.event_type in ORDER_EVENTS:
            orders.add(event.aggregate_id)
    if orders:
        skus.update(session.scalars(text(
            """SELECT DISTINCT k.code FROM sales_order_lines l JOIN skus k ON k.id = l.sku_id
               WHERE l.sales_order_id = ANY(:ids)"""), {"ids": sorted(orders)}))
    return skus


def stock_figures(session: Session, *, endpoint: StockEndpoint, skus: Sequence[str]) -> list[StockFigure]:
    """The available figure of each SKU the channel should hear about (listed SKUs only, when it says so)."""
    rows = session.execute(text(
        """SELECT k.code, l.channel_sku, coalesce((SELECT sum(s.on_hand - s.reserved) FROM stock_levels s
                                                    WHERE s.sku_id = k.id), 0)
           FROM skus k LEFT JOIN LATERAL (
               SELECT min(cl.channel_sku) AS channel_sku
               FROM channel_listings cl JOIN channels c ON c.id = cl.channel_id
               WHERE cl.sku_id = k.id AND cl.active AND c.code = :ch) l ON true
           WHERE k.code = ANY(:skus) ORDER BY k.code"""), {"ch": endpoint.channel, "skus": list(skus)}).all()
    return [StockFigure(str(code), csku, int(available)) for code, csku, available in rows
            if csku is not None or not endpoint.listed_only]


def set_endpoint(
    session: Session, *, channel: str, url: str, created_by: str, listed_only: bool = True, secret: str | None = None
) -> StockEndpoint:
    """Configure (or replace) where `channel` wants its stock figures; it hears of changes from now on."""
    channel_pk = channel_id(session, channel)
    row = session.scalars(select(ChannelStockEndpoint).where(ChannelStockEndpoint.channel_id == channel_pk)).first()
    if row is None:
        row = ChannelStockEndpoint(channel_id=channel_pk, created_by=created_by, secret=secret or new_secret(),
                                   url=check_url(url), listed_only=listed_only, active=True)
        session.add(row)
        start_at_end(session, consumer=stock_consumer(channel))
    row.url, row.listed_only, row.active = check_url(url), listed_only, True
    if secret:
        row.secret = secret
    session.flush()
    return StockEndpoint(channel, row.url, row.secret, row.listed_only, row.active)


def list_endpoints(session: Session, *, active_only: bool = False) -> list[StockEndpoint]:
    rows = session.execute(text(
        """SELECT c.code, e.url, e.secret, e.listed_only, e.active FROM channel_stock_endpoints e
           JOIN channels c ON c.id = e.channel_id WHERE e.active OR NOT :active ORDER BY c.code"""),
        {"active": active_only}).all()
    return [StockEndpoint(str(c), str(u), str(s), bool(lo), bool(a)) for c, u, s, lo, a in rows]


def remove_endpoint(session: Session, *, channel: str) -> None:
    session.execute(text("DELETE FROM channel_stock_endpoints WHERE channel_id = :c"),
                    {"c": channel_id(session, channel)})
    session.execute(text("DELETE FROM exchange_deliveries WHERE consumer = :n"), {"n": stock_consumer(channel)})
    forget_consumer(session, consumer=stock_consumer(channel))
