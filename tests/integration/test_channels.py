"""Channel SKU mappings, and channel orders ingested in our SKUs exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.errors import NotFound
from erp_models.inventory.services import stock_position
from erp_models.sales.channels import ChannelLineInput, ingest_channel_order, map_channel_sku
from tests.integration.builders import a_sku, a_warehouse, ref, stock_of
from tests.integration.procurement_builders import audit_actions, events_of


def listings_of(session: Session, channel_sku: str) -> list[tuple[str, int | None]]:
    return list(
        session.execute(
            text("""SELECT k.code, l.price FROM channel_listings l JOIN skus k ON k.id = l.sku_id
                    JOIN channels c ON c.id = l.channel_id WHERE c.code = 'tmall' AND l.channel_sku = :c"""),
            {"c": channel_sku},
        )
    )


def orders_with(session: Session, external_id: str) -> int:
    return int(session.execute(text("SELECT count(*) FROM sales_orders WHERE external_id = :e"),
                               {"e": external_id}).scalar_one())


def test_mapping_a_channel_sku_again_replaces_the_first_mapping(session: Session) -> None:
    first, second, channel_sku = a_sku(session), a_sku(session), ref("TM-SKU")
    map_channel_sku(session, channel="tmall", channel_sku=channel_sku, sku=first.code, price=12_900, actor="ops")
    map_channel_sku(session, channel="tmall", channel_sku=channel_sku, sku=second.code, actor="ops")
    assert listings_of(session, channel_sku) == [(second.code, None)]


def test_a_mapping_leaves_an_event_and_an_audit_row(session: Session) -> None:
    sku, channel_sku = a_sku(session), ref("TM-SKU")
    map_channel_sku(session, channel="tmall", channel_sku=channel_sku, sku=sku.code, price=9_900, actor="ops")
    listing_id = session.execute(text("SELECT id FROM channel_listings WHERE channel_sku = :c"),
                                 {"c": channel_sku}).scalar_one()
    assert events_of(session, "channel_listing", listing_id) == [
        ("ChannelSkuMapped", {"channel": "tmall", "channel_sku": channel_sku, "sku": sku.code, "price": 9_900})]
    assert audit_actions(session, "channel_listings", listing_id) == ["sales.map_channel_sku"]


def test_mapping_needs_a_known_sku_and_channel(session: Session) -> None:
    with pytest.raises(NotFound):
        map_channel_sku(session, channel="tmall", channel_sku=ref("TM-SKU"), sku=ref("NOPE"), actor="ops")
    with pytest.raises(NotFound):
        map_channel_sku(session, channel="ebay", channel_sku=ref("TM-SKU"), sku=a_sku(session).code, actor="ops")


def test_a_channel_order_is_placed_in_our_skus_and_reserves_stock(session: Session) -> None:
    sku, warehouse, channel_sku = a_sku(session), a_warehouse(session), ref("TM-SKU")
    stock_of(session, sku, warehouse, on_hand=5)
    map_channel_sku(session, channel="tmall", channel_sku=channel_sku, sku=sku.code, actor="ops")
    placed = ingest_channel_order(session, channel="tmall", external_id=ref("TM"), buyer_ref=ref("BUYER"),
                                  lines=[ChannelLineInput(channel_sku, 2, 12_900)], actor="webhook")
    assert (placed.status, placed.created) == ("placed", True)
    line = session.execute(text("SELECT sku_id, qty FROM sales_order_lines WHERE sales_order_id = :id"),
                           {"id": placed.id}).one()
    assert line == (sku.id, 2)
    assert stock_position(session, sku=sku.code, warehouse=warehouse.code).reserved == 2


def test_ingesting_the_same_channel_order_twice_places_it_once(session: Session) -> None:
    sku, warehouse, channel_sku, external_id = a_sku(session), a_warehouse(session), ref("TM-SKU"), ref("TM")
    stock_of(session, sku, warehouse, on_hand=5)
    map_channel_sku(session, channel="tmall", channel_sku=channel_sku, sku=sku.code, actor="ops")
    lines = [ChannelLineInput(channel_sku, 2, 12_900)]
    first = ingest_channel_order(session, channel="tmall", external_id=external_id, buyer_ref=None, lines=lines,
                                 actor="webhook")
    again = ingest_channel_order(session, channel="tmall", external_id=external_id, buyer_ref=None, lines=lines,
                                 actor="webhook")
    assert (again.id, again.created) == (first.id, False)
    assert orders_with(session, external_id) == 1
    assert stock_position(session, sku=sku.code, warehouse=warehouse.code).reserved == 2


def test_a_replay_returns_the_first_order_even_after_the_mapping_changed(session: Session) -> None:
    sku, other, warehouse = a_sku(session), a_sku(session), a_warehouse(session)
    channel_sku, external_id = ref("TM-SKU"), ref("TM")
    stock_of(session, sku, warehouse, on_hand=5)
    map_channel_sku(session, channel="tmall", channel_sku=channel_sku, sku=sku.code, actor="ops")
    lines = [ChannelLineInput(channel_sku, 1, 12_900)]
    first = ingest_channel_order(session, channel="tmall", external_id=external_id, buyer_ref=None, lines=lines,
                                 actor="webhook")
    map_channel_sku(session, channel="tmall", channel_sku=channel_sku, sku=other.code, actor="ops")
    again = ingest_channel_order(session, channel="tmall", external_id=external_id, buyer_ref=None, lines=lines,
                                 actor="webhook")
    assert (again.id, again.created) == (first.id, False)
    assert orders_with(session, external_id) == 1


def test_an_unmapped_channel_sku_is_rejected_by_name_and_places_nothing(session: Session) -> None:
    sku, warehouse, mapped, unmapped, external_id = (a_sku(session), a_warehouse(session), ref("TM-SKU"),
                                                     ref("TM-SKU"), ref("TM"))
    stock_of(session, sku, warehouse, on_hand=5)
    map_channel_sku(session, channel="tmall", channel_sku=mapped, sku=sku.code, actor="ops")
    with pytest.raises(NotFound, match=unmapped):
        ingest_channel_order(session, channel="tmall", external_id=external_id, buyer_ref=None, actor="webhook",
                             lines=[ChannelLineInput(mapped, 1, 100), ChannelLineInput(unmapped, 1, 100)])
    assert orders_with(session, external_id) == 0
    assert stock_position(session, sku=sku.code, warehouse=warehouse.code).reserved == 0


def test_an_order_from_an_unknown_channel_is_rejected(session: Session) -> None:
    with pytest.raises(NotFound, match="unknown channel"):
        ingest_channel_order(session, channel="ebay", external_id=ref("EB"), buyer_ref=None, actor="webhook",
                             lines=[ChannelLineInput("X", 1, 100)])
