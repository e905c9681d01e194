"""Channel integration (the marketplace order webhook, the channel-SKU mapping) and the sales vocabularies:
the channels and payment methods an admin adds as data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from erp_models.sales.channels import ChannelLineInput, ingest_channel_order, map_channel_sku
from erp_models.sales.ordering import NOWHERE, ShipTo
from erp_models.sales.vocabulary import Vocabulary, add_term, list_terms
from erp_models.security.services import Principal
from erpops.api.deps import Db, require
from erpops.api.schemas import ChannelOrderIn, ListingIn, OrderRef, ShipToIn, TermIn, TermOut

router = APIRouter(tags=["channels"])
Ingester = Annotated[Principal, Depends(require("channel.ingest"))]
Mapper = Annotated[Principal, Depends(require("channel.map_sku"))]
Reader = Annotated[Principal, Depends(require("sales.read"))]
Curator = Annotated[Principal, Depends(require("sales.vocabulary"))]
Channel = Annotated[str, Path(min_length=1, max_length=32, description="A channel's code (GET /channels).")]
DUPLICATE: dict[int | str, dict[str, Any]] = {409: {"description": "The code exists already (letter case aside)"}}


def ship_to_of(body: ShipToIn | None) -> ShipTo:
    return NOWHERE if body is None else ShipTo(**body.model_dump())


@router.get("/channels", response_model=list[TermOut])
def channels(db: Db, _: Reader) -> list[TermOut]:
    """The sales channels: the seeded Chinese marketplaces and any an admin added."""
    terms = db.read(lambda s: list_terms(s, vocabulary=Vocabulary.CHANNELS))
    return [TermOut(code=t.code, name=t.name) for t in terms]


@router.post("/channels", status_code=201, response_model=TermOut, responses=DUPLICATE)
def add_channel(body: TermIn, db: Db, who: Curator) -> TermOut:
    """Add a sales channel (a marketplace, a shop), with no schema change."""
    term = db.write(lambda s: add_term(s, vocabulary=Vocabulary.CHANNELS, code=body.code, name=body.name,
                                       actor=who.username))
    return TermOut(code=term.code, name=term.name)


@router.get("/payment-methods", response_model=list[TermOut])
def payment_methods(db: Db, _: Reader) -> list[TermOut]:
    """The payment methods a payment may name."""
    terms = db.read(lambda s: list_terms(s, vocabulary=Vocabulary.PAYMENT_METHODS))
    return [TermOut(code=t.code, name=t.name) for t in terms]


@router.post("/payment-methods", status_code=201, response_model=TermOut, responses=DUPLICATE)
def add_payment_method(body: TermIn, db: Db, who: Curator) -> TermOut:
    """Add a payment method (a wallet, a marketplace's own payment), with no schema change."""
    term = db.write(lambda s: add_term(s, vocabulary=Vocabulary.PAYMENT_METHODS, code=body.code, name=body.name,
                                       actor=who.username))
    return TermOut(code=term.code, name=term.name)


@router.put("/channels/{channel}/listings", status_code=204)
def map_sku(channel: Channel, body: ListingIn, db: Db, who: Mapper) -> None:
    """Say which of our SKUs a channel SKU stands for."""
    db.write(lambda s: map_channel_sku(s, channel=channel, channel_sku=body.channel_sku, sku=body.sku,
                                       price=body.price, actor=who.username))


@router.post("/channels/{channel}/orders", status_code=201, response_model=OrderRef,
             responses={200: {"model": OrderRef, "description": "A replay of the same channel order"}})
def ingest(channel: Channel, body: ChannelOrderIn, response: Response, db: Db, who: Ingester) -> OrderRef:
    """Ingest a marketplace order in the channel's SKUs, idempotently on (channel, external_id)."""
    lines = [ChannelLineInput(line.channel_sku, line.qty, line.unit_price) for line in body.lines]
    placed = db.write(lambda s: ingest_channel_order(s, channel=channel, external_id=body.external_id,
                                                     buyer_ref=body.buyer_ref, lines=lines, actor=who.username,
                                                     freight=body.freight, ship_to=ship_to_of(body.ship_to)))
    if not placed.created:
        response.status_code = 200
    return OrderRef(id=placed.id, status=placed.status)
