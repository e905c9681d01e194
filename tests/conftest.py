"""Shared fixtures: a real PostgreSQL (ERPOPS_TEST_DATABASE_URL, else an embedded one) and fresh databases."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from infra.embedded_pg import EmbeddedPostgres
from infra.settings import normalize_database_url

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@contextmanager
def state_dir(prefix: str) -> Iterator[Path]:
    """A state directory outside pytest's temporary tree: pytest makes that tree private again, which locks
    out the system user an embedded PostgreSQL runs as when the tests run as root."""
    path = Path(tempfile.mkdtemp(prefix=f"erpops-{prefix}-"))
    try:
        yield path / ".erpops"
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[URL]:
    """URL of the maintenance database of the PostgreSQL server the tests use."""
    external = os.environ.get("ERPOPS_TEST_DATABASE_URL")
    if external:
        yield make_url(normalize_database_url(external)).set(database="postgres")
        return
    with state_dir("test-pg") as state:
        pg = EmbeddedPostgres(state)
        pg.start()
        yield make_url(pg.url("postgres"))
        pg.stop()


def _psycopg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def new_database(pg_server: URL) -> Iterator[Callable[[], URL]]:
    """Factory of empty, uniquely named databases; all are dropped when the session ends."""
    created: list[str] = []

    def create() -> URL:
        name = f"erpops_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(_psycopg_dsn(pg_server), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return pg_server.set(database=name)

    yield create
    with psycopg.connect(_psycopg_dsn(pg_server), autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_engine(new_database: Callable[[], URL]) -> Iterator[Engine]:
    """An engine on a database at the newest schema revision, shared by the integration tests."""
    from infra.migrate import upgrade

    engine = create_engine(new_database())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(migrated_engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back: tests leave nothing behind."""
    with migrated_engine.connect() as conn:
        outer = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield sess
        finally:
            sess.close()
            outer.rollback()


@pytest.fixture
def tasks_on_test_database(migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Point the settings, and so every task's and flow's unit of work, at the test database."""
    from infra.db import forget_engines
    from infra.settings import get_settings

    monkeypatch.setenv("ERPOPS_DATABASE_URL", migrated_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    forget_engines()
    yield migrated_engine
    get_settings.cache_clear()
    forget_engines()


@pytest.fixture
def cli_env() -> Iterator[dict[str, str]]:
    """Environment for running `erpops` as a user would, with its state in a temporary directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
    env["GX_ANALYTICS_ENABLED"] = "false"
    with state_dir("cli") as state:
        env["ERPOPS_STATE_DIR"] = str(state)
        yield env
