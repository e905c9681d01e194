"""Webhooks against a real receiver on loopback: signed, retried with backoff, parked, replayed, nothing lost."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from erp_models.integration.delivery_log import consumer_locks
from erp_models.integration.http_sender import HttpxSender
from erp_models.integration.outbox import record_event
from erp_models.integration.replay import replay_dead_letters
from erp_models.integration.signing import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    RetryPolicy,
    verify_signature,
)
from erp_models.integration.webhook_delivery import deliver_webhooks
from erp_models.integration.webhooks import (
    Subscription,
    add_subscription,
    list_dead_letters,
    remove_subscription,
    webhook_consumer,
)
from erp_models.ops.monitor_probes import outbox_lag_minutes
from tests.integration.builders import ref, units_on
from tests.integration.receiver import Receiver, receiver
from tests.integration.test_outbox import current_tx, wait_until_visible_to_consumers

QUICK = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.001, timeout_s=5)


def an_event_type() -> str:
    return "Probe" + "".join(random.choices(string.ascii_letters, k=10)) + "Happened"


@pytest.fixture
def hook(migrated_engine: Engine) -> Iterator[tuple[Receiver, Subscription, str]]:
    """A receiver, and a committed subscription to a fresh event type; removed afterwards."""
    kind = an_event_type()
    with receiver() as rx:
        with Session(migrated_engine) as session:
            sub = add_subscription(session, name=ref("hook"), url=rx.url, event_types=[kind], created_by="tests",
                                   secret="s3cret")
            session.commit()
        yield rx, sub, kind
        with Session(migrated_engine) as session:
            remove_subscription(session, ref=str(sub.id))
            session.commit()


def write(engine: Engine, kind: str, n: int) -> list[int]:
    """Commit `n` events of `kind`; their ids, once consumers can see them."""
    with Session(engine) as session:
        for i in range(n):
            record_event(session, kind, "probe", i, n=i, 城市="杭州")
        tx_id = current_tx(session)
        session.commit()
        ids = list(session.scalars(text("SELECT id FROM outbox_events WHERE event_type = :k ORDER BY id"),
                                   {"k": kind}))
    wait_until_visible_to_consumers(engine, tx_id, timeout_s=60)
    return ids


def passes(engine: Engine, sub: Subscription, n: int, policy: RetryPolicy = QUICK) -> None:
    with HttpxSender(timeout_s=5) as sender:
        for _ in range(n):
            deliver_webhooks(units_on(engine), consumer_locks(engine), sender=sender, policy=policy, only=[sub.id])


def position(engine: Engine, sub: Subscription) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT last_event_id FROM outbox_consumers WHERE name = :n"),
                                {"n": webhook_consumer(sub.id)}).scalar_one())


def test_each_event_arrives_signed_with_its_id_and_timestamp(
        migrated_engine: Engine, hook: tuple[Receiver, Subscription, str]) -> None:
    rx, sub, kind = hook
    ids = write(migrated_engine, kind, 2)
    passes(migrated_engine, sub, 1)
    assert [int(r.headers[EVENT_ID_HEADER]) for r in rx.accepted] == ids
    for got in rx.accepted:
        assert verify_signature("s3cret", int(got.headers[TIMESTAMP_HEADER]), got.body, got.headers[SIGNATURE_HEADER])
        assert got.document["type"] == kind and got.document["data"]["城市"] == "杭州"
    assert position(migrated_engine, sub) == ids[-1]


def test_a_receiver_that_fails_then_recovers_gets_every_event_once_in_order(
        migrated_engine: Engine, hook: tuple[Receiver, Subscription, str]) -> None:
    rx, sub, kind = hook
    rx.failures_left = 2
    ids = write(migrated_engine, kind, 3)
    passes(migrated_engine, sub, 1)
    assert rx.accepted == [] and position(migrated_engine, sub) < ids[0]  # held back, not skipped
    passes(migrated_engine, sub, 3)
    assert [r.document["id"] for r in rx.accepted] == ids
    assert rx.refused == 2
    with migrated_engine.connect() as conn:
        attempts = conn.execute(text("SELECT key, attempts, state FROM exchange_deliveries WHERE consumer = :c "
                                     "ORDER BY key"), {"c": webhook_consumer(sub.id)}).all()
    assert sorted(attempts) == sorted([(f"event:{ids[0]}", 3, "delivered")] +
                                      [(f"event:{i}", 1, "delivered") for i in ids[1:]])
    assert position(migrated_engine, sub) == ids[-1]


def test_a_receiver_that_always_fails_parks_the_event_and_a_replay_delivers_it_later(
        migrated_engine: Engine, hook: tuple[Receiver, Subscription, str]) -> None:
    rx, sub, kind = hook
    rx.always_fail = True
    first, second = write(migrated_engine, kind, 2)
    passes(migrated_engine, sub, 4, RetryPolicy(max_attempts=2, base_delay_s=0.001, max_delay_s=0.001))
    with Session(migrated_engine) as session:
        parked = [d for d in list_dead_letters(session) if d.target == sub.name]
    assert sorted(d.event_id or 0 for d in parked) == [first, second]
    assert all(d.attempts == 2 for d in parked)
    assert position(migrated_engine, sub) == second  # parked events are passed, the next ones flow
    rx.always_fail = False
    with HttpxSender() as sender:
        results = replay_dead_letters(units_on(migrated_engine), sender=sender, ids=[d.id for d in parked])
    assert all(r.delivered for r in results)
    assert sorted(r.document["id"] for r in rx.accepted) == [first, second]
    with Session(migrated_engine) as session:
        assert not [d for d in list_dead_letters(session) if d.target == sub.name]


def test_the_monitor_sees_a_subscription_that_lags(
        migrated_engine: Engine, hook: tuple[Receiver, Subscription, str]) -> None:
    rx, sub, kind = hook
    rx.always_fail = True
    write(migrated_engine, kind, 1)
    passes(migrated_engine, sub, 1)
    with Session(migrated_engine) as session:
        _, lags = outbox_lag_minutes(session)
    assert webhook_consumer(sub.id) in lags and lags[webhook_consumer(sub.id)] >= 0
