"""A write in flight when the freeze is called is committed before the freeze returns; a write arriving while
the freeze commits is refused. Neither is lost or half done (the API's own `Database.write` path)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from erp_models.errors import Frozen
from erp_models.sales.vocabulary import Vocabulary, add_term
from erp_models.system.freeze import freeze, release
from erpops.api.deps import Database
from tests.integration.builders import ref

WAITING_ON_THE_FREEZE_LOCK = """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


def wait_until_someone_waits_for_the_lock(engine: Engine) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(text(WAITING_ON_THE_FREEZE_LOCK)).scalar_one():
                return
        time.sleep(0.01)
    raise AssertionError("nobody ever waited for the freeze lock")


def channels_named(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM channels WHERE code = :c"), {"c": code}).scalar_one())


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except Exception as exc:  # handed to the test, which asserts on it
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


@pytest.fixture
def db(api_app: FastAPI, migrated_engine: Engine) -> Iterator[Database]:
    """The API's own transaction runner; writes are open again after the test."""
    database: Database = api_app.state.db
    yield database
    with Session(migrated_engine) as session:
        release(session, by="tests")
        session.commit()


def test_a_write_in_flight_when_the_freeze_is_called_commits_before_the_freeze_returns(
    db: Database, migrated_engine: Engine
) -> None:
    code, inside, proceed = ref("ch")[:32], threading.Event(), threading.Event()

    def slow_write(session: Session) -> None:
        add_term(session, vocabulary=Vocabulary.CHANNELS, code=code, name="慢店", actor="tests")
        inside.set()
        proceed.wait(timeout=20)

    writer, _ = in_thread(lambda: db.write(slow_write))
    assert inside.wait(timeout=20)

    def freeze_and_look() -> int:
        with Session(migrated_engine) as session:
            freeze(session, by="tests", reason="go-live")
            seen = session.execute(text("SELECT count(*) FROM channels WHERE code = :c"), {"c": code}).scalar_one()
            session.commit()
            return int(seen)

    freezer, seen_by_the_freeze = in_thread(freeze_and_look)
    wait_until_someone_waits_for_the_lock(migrated_engine)
    assert seen_by_the_freeze == []  # the freeze waits for the write in flight
    proceed.set()
    writer.join(timeout=20)
    freezer.join(timeout=20)
    assert seen_by_the_freeze == [1]  # the write had committed when the freeze committed
    assert channels_named(migrated_engine, code) == 1


def test_a_write_arriving_while_the_freeze_commits_is_refused_and_writes_nothing(
    db: Database, migrated_engine: Engine
) -> None:
    code, ran = ref("ch")[:32], threading.Event()

    def write(session: Session) -> None:
        ran.set()
        add_term(session, vocabulary=Vocabulary.CHANNELS, code=code, name="迟到店", actor="tests")

    with Session(migrated_engine) as session:
        freeze(session, by="tests", reason="go-live", retry_after_s=7)
        writer, outcome = in_thread(lambda: db.write(write))
        wait_until_someone_waits_for_the_lock(migrated_engine)
        session.commit()
    writer.join(timeout=20)
    [refused] = outcome
    assert isinstance(refused, Frozen) and refused.detail == {"retry_after_s": 7}
    assert not ran.is_set()
    assert channels_named(migrated_engine, code) == 0
