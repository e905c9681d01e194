"""Flows read the outbox through a task: every committed event once, and handlers commit with the read."""

from __future__ import annotations

import pytest
from prefect.logging import disable_run_logger
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from erp_models.integration.outbox import Event, process_events
from tasks.outbox import read_outbox
from tests.integration.builders import ref
from tests.integration.test_outbox import claim, write_events


@pytest.fixture
def configured(tasks_on_test_database: Engine) -> Engine:
    return tasks_on_test_database


def test_a_flow_reads_each_event_once_in_order(configured: Engine) -> None:
    consumer, kind = ref("kpi-flow"), ref("Thing")
    claim(configured, consumer)  # start at the end of the outbox
    ids = write_events(configured, kind, 3)
    with disable_run_logger():
        first = read_outbox.fn(consumer)
        second = read_outbox.fn(consumer)
    assert [e.id for e in first.events if e.aggregate_type == kind] == ids
    assert first.count_by_type()["ThingHappened"] >= 3
    assert [e for e in second.events if e.aggregate_type == kind] == []


def test_a_failing_handler_leaves_the_events_for_the_next_attempt(configured: Engine) -> None:
    consumer, kind = ref("projector"), ref("Thing")
    claim(configured, consumer)
    ids = write_events(configured, kind, 2)

    def explode(_: Session, event: Event) -> None:
        raise RuntimeError(f"cannot handle {event.id}")

    with Session(configured) as session, pytest.raises(RuntimeError):
        process_events(session, consumer=consumer, handle=explode)
    seen: list[int] = []
    with Session(configured) as session:
        process_events(session, consumer=consumer, handle=lambda _s, e: seen.append(e.id))
        session.commit()
    assert [i for i in seen if i in ids] == ids
