"""Sales channels: which of our SKUs a channel's SKU code stands for, and ingesting the channel's orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import InvalidInput, NotFound
from erp_models.integration.outbox import record_events
from erp_models.inventory.services import sku_id_of
from erp_models.sales.ordering import NOWHERE, OrderLineInput, PlacedOrder, ShipTo, find_channel_order, place_order
from erp_models.sales.vocabulary import channel_id
from erp_models.security.audit import audit


@dataclass(frozen=True)
class ChannelLineInput:
    channel_sku: str
    qty: int
    unit_price: int  # minor units (fen)


def map_channel_sku(
    session: Session, *, channel: str, channel_sku: str, sku: str, actor: str, price: int | None = None,
) -> None:
    """Say which SKU `channel_sku` stands for on `channel`, replacing any earlier mapping and price.

    A `price` of None means the channel sells at the SKU's list price.
    """
    if not channel_sku.strip():
        raise InvalidInput("channel_sku must not be empty")
    if price is not None and price < 0:
        raise InvalidInput("price must not be negative (minor units)", price=price)
    channel_pk, sku_id = channel_id(session, channel), sku_id_of(session, sku)
    listing_id = session.execute(
        text(
            """INSERT INTO channel_listings (channel_id, sku_id, channel_sku, price, currency)
               SELECT :ch, id, :csku, :price, currency FROM skus WHERE id = :sku
               ON CONFLICT (channel_id, channel_sku) DO UPDATE
               SET sku_id = excluded.sku_id, price = excluded.price, currency = excluded.currency, active = true
               RETURNING id"""
        ),
        {"ch": channel_pk, "csku": channel_sku, "price": price, "sku": sku_id},
    ).scalar_one()
    record_events(session, [("ChannelSkuMapped", "channel_listing", listing_id,
                             {"channel": channel, "channel_sku": channel_sku, "sku": sku, "price": price})])
    audit(session, actor=actor, action="sales.map_channel_sku", entity="channel_listings", ids=[listing_id],
          channel=channel, channel_sku=channel_sku, sku=sku)


def _our_skus(session: Session, channel: str, channel_skus: set[str]) -> dict[str, str]:
    """channel SKU -> our SKU code, for the channel's active listings."""
    rows = session.execute(
        text(
            """SELECT l.channel_sku, k.code FROM channel_listings l JOIN skus k ON k.id = l.sku_id
               JOIN channels c ON c.id = l.channel_id
               WHERE c.code = :ch AND l.channel_sku = ANY(:cskus) AND l.active"""
        ),
        {"ch": channel, "cskus": sorted(channel_skus)},
    )
    mapped = {str(channel_sku): str(code) for channel_sku, code in rows}
    unmapped = sorted(channel_skus - set(mapped))
    if unmapped:
        raise NotFound(f"channel SKU {unmapped[0]!r} is not mapped to any SKU on {channel}",
                           channel=channel, channel_skus=unmapped)
    return mapped


def ingest_channel_order(
    session: Session, *, channel: str, external_id: str, buyer_ref: str | None,
    lines: Sequence[ChannelLineInput], actor: str, freight: int = 0, ship_to: ShipTo = NOWHERE,
) -> PlacedOrder:
    """Place a channel's order in our SKUs; a replay returns the first order, whatever the mapping is now."""
    channel_id(session, channel)
    # Answer a replay before translating: the SKU mapping may have changed (or gone) since the first call.
    existing = find_channel_order(session, channel=channel, external_id=external_id)
    if existing is not None:
        return existing
    skus = _our_skus(session, channel, {line.channel_sku for line in lines})
    return place_order(
        session, channel=channel, external_id=external_id, customer_ref=buyer_ref, actor=actor,
        lines=[OrderLineInput(skus[line.channel_sku], line.qty, line.unit_price) for line in lines],
        freight=freight, ship_to=ship_to,
    )
