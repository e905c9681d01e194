"""The runtime stack: which PostgreSQL and which Prefect server erpops uses, started on demand.

Nothing set means the embedded default: one embedded PostgreSQL (databases `erp` and `prefect`)
and a Prefect server on loopback, all state under `ERPOPS_STATE_DIR`. `ERPOPS_DATABASE_URL` and
`PREFECT_API_URL` replace the embedded parts they name.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from infra.embedded_pg import EmbeddedPostgres
from infra.errors import StackError
from infra.prefect_server import PrefectServer, is_healthy, prefect_client_env
from infra.settings import Settings, get_settings


@dataclass(frozen=True)
class Stack:
    """The addresses a running stack is reached at."""

    database_url: str
    prefect_api_url: str
    ui_url: str
    embedded_database: bool


# A cutover rehearsal works on a copy of the ERP: inside `using_database(url)` every unit of work, task (Prefect
# copies the context into its worker threads) and subflow of this context uses `url` instead of the configured one.
_database_in_scope: ContextVar[str | None] = ContextVar("erpops_database_in_scope", default=None)


@contextmanager
def using_database(url: str) -> Iterator[str]:
    """Make `url` the ERP database for the code run inside this block (in this context only)."""
    token = _database_in_scope.set(url)
    try:
        yield url
    finally:
        _database_in_scope.reset(token)


def database_url(settings: Settings | None = None) -> str:
    """The ERP database's URL: the one `using_database` put in scope, else the configured one; starts the
    embedded server when no URL is configured."""
    if (scoped := _database_in_scope.get()) is not None:
        return scoped
    settings = settings or get_settings()
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    pg = EmbeddedPostgres(settings.state_dir)
    pg.start()
    pg.ensure_databases()
    return pg.url("erp")


def bring_up(settings: Settings | None = None) -> Stack:
    """Start whatever part of the stack is not configured externally, and say where it is."""
    settings = settings or get_settings()
    db_url = database_url(settings)
    if settings.prefect_api_url:
        api_url = settings.prefect_api_url.rstrip("/")
        if not is_healthy(api_url):
            raise StackError(f"PREFECT_API_URL {api_url} does not answer at {api_url}/health")
        return Stack(db_url, api_url, api_url.removesuffix("/api"), settings.database_url is None)
    pg = EmbeddedPostgres(settings.state_dir)
    if settings.database_url is not None or _database_in_scope.get() is not None:
        pg.start()  # else `database_url` has just started it and ensured its databases
        pg.ensure_databases()
    server = PrefectServer(settings.state_dir, settings.prefect_port)
    server.start(pg.url("prefect", driver="asyncpg"), timeout_s=settings.prefect_start_timeout_s)
    return Stack(db_url, server.api_url, server.ui_url, settings.database_url is None)


def tear_down(settings: Settings | None = None) -> list[str]:
    """Stop the embedded Prefect server and PostgreSQL; returns what was stopped."""
    settings = settings or get_settings()
    stopped = []
    if PrefectServer(settings.state_dir, settings.prefect_port).stop():
        stopped.append("Prefect server")
    if EmbeddedPostgres(settings.state_dir).stop():
        stopped.append("embedded PostgreSQL")
    return stopped


def use_stack_in_this_process(stack: Stack, settings: Settings | None = None) -> None:
    """Point this process's Prefect client and ERP settings at `stack`.

    Must run before `prefect` is imported: Prefect reads its settings from the environment.
    """
    settings = settings or get_settings()
    if not settings.prefect_api_url:
        os.environ.update(prefect_client_env(settings.state_dir, stack.prefect_api_url))
    os.environ["ERPOPS_DATABASE_URL"] = stack.database_url
    get_settings.cache_clear()
