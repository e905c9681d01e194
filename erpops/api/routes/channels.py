"""Channel integration: the marketplace order webhook and the channel-SKU mapping."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from erp_models.enums import ChannelCode
from erp_models.sales.channels import ChannelLineInput, ingest_channel_order, map_channel_sku
from erp_models.security.services import Principal
from erpops.api.deps import Db, require
from erpops.api.schemas import ChannelOrderIn, ListingIn, OrderRef

router = APIRouter(prefix="/channels/{channel}", tags=["channels"])
Ingester = Annotated[Principal, Depends(require("channel.ingest"))]
Mapper = Annotated[Principal, Depends(require("channel.map_sku"))]
Channel = Annotated[ChannelCode, Path()]


@router.put("/listings", status_code=204)
def map_sku(channel: Channel, body: ListingIn, db: Db, who: Mapper) -> None:
    """Say which of our SKUs a channel SKU stands for."""
    db.write(lambda s: map_channel_sku(s, channel=channel.value, channel_sku=body.channel_sku, sku=body.sku,
                                       price=body.price, actor=who.username))


@router.post("/orders", status_code=201, response_model=OrderRef,
             responses={200: {"model": OrderRef, "description": "A replay of the same channel order"}})
def ingest(channel: Channel, body: ChannelOrderIn, response: Response, db: Db, who: Ingester) -> OrderRef:
    """Ingest a marketplace order in the channel's SKUs, idempotently on (channel, external_id)."""
    lines = [ChannelLineInput(line.channel_sku, line.qty, line.unit_price) for line in body.lines]
    placed = db.write(lambda s: ingest_channel_order(s, channel=channel.value, external_id=body.external_id,
                                                     buyer_ref=body.buyer_ref, lines=lines, actor=who.username))
    if not placed.created:
        response.status_code = 200
    return OrderRef(id=placed.id, status=placed.status)
