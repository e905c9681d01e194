"""Channel stock sync against a loopback receiver: a burst of orders makes one push per SKU, with the final figure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from erp_models.integration.delivery_log import consumer_locks
from erp_models.integration.http_sender import HttpxSender
from erp_models.integration.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, RetryPolicy, verify_signature
from erp_models.integration.stock_delivery import sync_stock
from erp_models.integration.stock_sync import remove_endpoint, set_endpoint
from erp_models.integration.webhooks import list_dead_letters
from erp_models.sales.channels import map_channel_sku
from erp_models.sales.ordering import OrderLineInput, place_order
from tests.integration.builders import a_sku, a_warehouse, ref, stock_of, units_on
from tests.integration.receiver import Receiver, receiver
from tests.integration.test_outbox import current_tx, wait_until_visible_to_consumers

CHANNEL = "jd"
QUICK = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.001)


@pytest.fixture
def channel_endpoint(migrated_engine: Engine) -> Iterator[tuple[Receiver, str]]:
    """A receiver configured as the channel's stock endpoint, and a listed SKU with 1000 on hand."""
    with receiver() as rx, Session(migrated_engine) as session:
        sku = a_sku(session)
        stock_of(session, sku, a_warehouse(session), on_hand=1000)
        map_channel_sku(session, channel=CHANNEL, channel_sku=ref("JD"), sku=sku.code, actor="tests")
        set_endpoint(session, channel=CHANNEL, url=rx.url, created_by="tests", secret="k")
        session.commit()
        yield rx, sku.code
        remove_endpoint(session, channel=CHANNEL)
        session.commit()


def order_one(engine: Engine, sku: str) -> int:
    with Session(engine) as session:
        place_order(session, channel=CHANNEL, external_id=ref("JD-ORDER"), customer_ref=None,
                    lines=[OrderLineInput(sku=sku, qty=1, unit_price=9900)], actor="tests")
        tx_id = current_tx(session)
        session.commit()
    return tx_id


def sync(engine: Engine, policy: RetryPolicy = QUICK) -> None:
    with HttpxSender() as sender:
        sync_stock(units_on(engine), consumer_locks(engine), sender=sender, policy=policy, only=[CHANNEL])


def test_a_burst_of_100_orders_makes_one_push_with_the_final_figure(
        migrated_engine: Engine, channel_endpoint: tuple[Receiver, str]) -> None:
    rx, sku = channel_endpoint
    last_tx = max(order_one(migrated_engine, sku) for _ in range(100))
    wait_until_visible_to_consumers(migrated_engine, last_tx, timeout_s=60)
    sync(migrated_engine)
    pushes = [r for r in rx.accepted if r.document["sku"] == sku]
    assert len(pushes) == 1
    assert pushes[0].document["available"] == 900 and pushes[0].document["channel"] == CHANNEL
    got = pushes[0]
    assert verify_signature("k", int(got.headers[TIMESTAMP_HEADER]), got.body, got.headers[SIGNATURE_HEADER])
    sync(migrated_engine)
    assert len([r for r in rx.accepted if r.document["sku"] == sku]) == 1  # nothing new, nothing pushed


def test_a_failing_channel_gets_the_figure_once_it_recovers_and_parks_when_it_never_does(
        migrated_engine: Engine, channel_endpoint: tuple[Receiver, str]) -> None:
    rx, sku = channel_endpoint
    rx.failures_left = 1
    wait_until_visible_to_consumers(migrated_engine, order_one(migrated_engine, sku), timeout_s=60)
    sync(migrated_engine)
    assert rx.accepted == []
    sync(migrated_engine)
    assert [r.document["available"] for r in rx.accepted] == [999]
    rx.always_fail = True
    wait_until_visible_to_consumers(migrated_engine, order_one(migrated_engine, sku), timeout_s=60)
    for _ in range(3):
        sync(migrated_engine)
    with Session(migrated_engine) as session:
        parked = [d for d in list_dead_letters(session) if d.sku == sku]
    assert len(parked) == 1 and parked[0].attempts == 3
