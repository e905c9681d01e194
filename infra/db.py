"""Engines, sessions and the unit of work: the only place that connects to PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from types import TracebackType

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from infra.errors import DatabaseUnavailable
from infra.settings import get_settings
from infra.stack import database_url


def get_engine(url: str | None = None) -> Engine:
    """A pooled engine for `url` (default: the ERP database in scope), shared within the process."""
    return _shared_engine(url or database_url())


@lru_cache(maxsize=8)
def _shared_engine(url: str) -> Engine:
    return make_engine(url)


def dispose_engine(url: str) -> None:
    """Close the shared engine's pooled connections to `url` (before its database is dropped or replaced)."""
    _shared_engine(url).dispose()


def forget_engines() -> None:
    """Drop every shared engine, e.g. after the configured database changed."""
    _shared_engine.cache_clear()


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10, application_name: str = "erpops") -> Engine:
    """A new pooled engine; servers size the pool to their worker threads."""
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"connect_timeout": get_settings().connect_timeout_s, "application_name": application_name},
    )


def check_connection(engine: Engine) -> str:
    """Connect once and return the server version, or raise one clear DatabaseUnavailable line."""
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    except OperationalError as exc:
        raise DatabaseUnavailable(describe_connection_error(engine.url.render_as_string(), exc)) from None


def describe_connection_error(url: str, exc: OperationalError) -> str:
    where = make_url(url).render_as_string(hide_password=True)
    reason = str(exc.orig).strip().splitlines()[-1] if exc.orig else str(exc)
    return f"cannot connect to PostgreSQL at {where}: {reason}"


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


class UnitOfWork:
    """One transaction: leaving the block rolls back unless `commit()` was called."""

    session: Session

    def __init__(self, factory: Callable[[], Session] | None = None) -> None:
        self._factory = factory or session_factory()

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
