"""The outbox delivers every committed event to each consumer exactly once, in commit order.

These tests commit for real: a consumer only sees events of transactions older than every transaction
still in flight, so events inside the test's own open transaction would stay invisible. Each test uses
a consumer of its own that first reads past everything already in the outbox.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from erp_models.integration.outbox import Event, acknowledge, claim_events, record_events
from tests.integration.builders import ref


def current_tx(session: Session) -> int:
    return int(session.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())


def wait_until_visible_to_consumers(engine: Engine, tx_id: int, timeout_s: float = 60.0) -> None:
    """Block until every transaction that began before `tx_id` committed has ended (other sessions on the
    server, e.g. a concurrent test run, may still hold one open)."""
    deadline = time.monotonic() + timeout_s
    with engine.connect() as conn:
        while conn.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one() <= tx_id:
            conn.rollback()
            assert time.monotonic() < deadline, f"transactions older than {tx_id} stayed open for {timeout_s}s"
            time.sleep(0.01)


def write_events(engine: Engine, aggregate_type: str, count: int, first: int = 1) -> list[int]:
    """Commit `count` events in one transaction and return their ids, once consumers can see them."""
    with Session(engine) as session:
        numbers = range(first, first + count)
        record_events(session, [("ThingHappened", aggregate_type, n, {"n": n}) for n in numbers])
        ids = session.scalars(
            text("SELECT id FROM outbox_events WHERE aggregate_type = :t AND aggregate_id = ANY(:n) ORDER BY id"),
            {"t": aggregate_type, "n": list(numbers)},
        ).all()
        tx_id = current_tx(session)
        session.commit()
    wait_until_visible_to_consumers(engine, tx_id)
    return [int(i) for i in ids]


def claim(engine: Engine, consumer: str, *, ack: bool = True, limit: int = 500) -> list[Event]:
    """One delivery in its own transaction; committed with the acknowledgement unless `ack` is False."""
    with Session(engine) as session:
        events = claim_events(session, consumer=consumer, limit=limit)
        if ack:
            acknowledge(session, consumer=consumer, events=events)
            session.commit()
    return events


def a_consumer_at_the_end(engine: Engine) -> str:
    consumer = ref("consumer")
    while claim(engine, consumer):
        pass
    return consumer


def ids(events: list[Event]) -> list[int]:
    return [event.id for event in events]


def test_a_consumer_receives_new_events_in_order_and_moves_past_them(migrated_engine: Engine) -> None:
    consumer, kind = a_consumer_at_the_end(migrated_engine), ref("Thing")
    first = write_events(migrated_engine, kind, 3)
    delivered = claim(migrated_engine, consumer)
    assert ids(delivered) == first
    assert [(e.event_type, e.aggregate_type, e.aggregate_id, e.payload) for e in delivered] == [
        ("ThingHappened", kind, n, {"n": n}) for n in (1, 2, 3)]
    assert claim(migrated_engine, consumer) == []
    second = write_events(migrated_engine, kind, 2, first=4)
    assert ids(claim(migrated_engine, consumer)) == second


def test_a_limited_claim_hands_out_the_rest_next_time(migrated_engine: Engine) -> None:
    consumer = a_consumer_at_the_end(migrated_engine)
    written = write_events(migrated_engine, ref("Thing"), 5)
    assert ids(claim(migrated_engine, consumer, limit=2)) == written[:2]
    assert ids(claim(migrated_engine, consumer, limit=2)) == written[2:4]
    assert ids(claim(migrated_engine, consumer, limit=2)) == written[4:]


def test_two_consumers_read_the_outbox_independently(migrated_engine: Engine) -> None:
    billing, shipping = a_consumer_at_the_end(migrated_engine), a_consumer_at_the_end(migrated_engine)
    written = write_events(migrated_engine, ref("Thing"), 3)
    assert ids(claim(migrated_engine, billing)) == written
    assert claim(migrated_engine, billing) == []
    assert ids(claim(migrated_engine, shipping)) == written


def test_events_claimed_but_not_acknowledged_come_back(migrated_engine: Engine) -> None:
    consumer = a_consumer_at_the_end(migrated_engine)
    written = write_events(migrated_engine, ref("Thing"), 2)
    assert ids(claim(migrated_engine, consumer, ack=False)) == written
    with Session(migrated_engine) as session:  # the consumer's own work failed: its acknowledgement rolls back
        acknowledge(session, consumer=consumer, events=claim_events(session, consumer=consumer))
        session.rollback()
    assert ids(claim(migrated_engine, consumer)) == written


def write_events_while_another_is_open(engine: Engine, aggregate_type: str) -> tuple[int, int]:
    """Commit one event without waiting for visibility (an older transaction is deliberately open); returns the
    event's id and its transaction's."""
    with Session(engine) as session:
        record_events(session, [("ThingHappened", aggregate_type, 2, {"n": 2})])
        event_id = session.execute(text("SELECT max(id) FROM outbox_events WHERE aggregate_type = :t"),
                                   {"t": aggregate_type}).scalar_one()
        tx_id = current_tx(session)
        session.commit()
    return int(event_id), tx_id


def test_an_event_committed_late_is_held_back_and_then_delivered_not_skipped(migrated_engine: Engine) -> None:
    consumer, kind = a_consumer_at_the_end(migrated_engine), ref("Thing")
    with Session(migrated_engine) as slow:
        record_events(slow, [("ThingHappened", kind, 1, {"n": 1})])
        slow_tx = current_tx(slow)
        fast, fast_tx = write_events_while_another_is_open(migrated_engine, kind)
        assert slow_tx < fast_tx
        assert claim(migrated_engine, consumer) == []
        slow.commit()
    # both, not only the slow one: another session on the server (a parallel test worker) may hold a transaction
    # that began between them open a little longer, which holds the fast event back too
    wait_until_visible_to_consumers(migrated_engine, fast_tx)
    delivered = claim(migrated_engine, consumer)
    assert [e.aggregate_id for e in delivered] == [1, 2]
    assert delivered[1].id == fast


def test_concurrent_claims_for_one_consumer_deliver_every_event_exactly_once(migrated_engine: Engine) -> None:
    consumer = a_consumer_at_the_end(migrated_engine)
    written = write_events(migrated_engine, ref("Thing"), 12)
    start = threading.Barrier(2)

    def drain() -> list[int]:
        received: list[int] = []
        start.wait(timeout=10)
        while batch := claim(migrated_engine, consumer, limit=3):
            received += ids(batch)
        return received

    with ThreadPoolExecutor(max_workers=2) as pool:
        workers = [pool.submit(drain) for _ in range(2)]
        first, second = (worker.result(timeout=30) for worker in workers)
    assert sorted(first + second) == written
    assert not set(first) & set(second)
