"""The smoke test as one operation: tagged data, the ERP API (given, or started on loopback), the steps through
the API, and the data retired afterwards whatever happened. No Prefect here: the CLI and a task both call it.

A cutover runs it before the switch, while business writes are frozen: then the active freeze exempts the run's
own tagged users (`smoke-1a2b3c-`, random per run) for the API steps, and the exemption ends before the data is
retired, whatever happened. Every other caller still gets 503 `frozen`. Preparing and retiring the data go
through the domain, not the API, so the freeze does not stop them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from erp_models.cutover.smoke_data import ACTOR, DEFAULT_STOCK, cleanup, new_tag, prepare, user_prefix
from erp_models.system.freeze import allow_during_freeze, current_freeze, end_exemption
from infra.api_process import serving_api, wait_healthy
from infra.db import UnitOfWork
from infra.stack import database_url
from tasks.cutover.api_smoke import SmokeReport, run_api_smoke


class SmokeCleanupSummary(BaseModel):
    tag: str
    orders_cancelled: int
    stock_written_off: int
    tokens_revoked: int
    skus_deactivated: int
    warehouses_deactivated: int
    kept: list[str]


class SmokeRun(BaseModel):
    report: SmokeReport
    cleanup: SmokeCleanupSummary
    api_started: bool  # True: the API was started on loopback for the run
    exempted: str | None = None  # the user prefix the active freeze let write for the run (None: not frozen)


@contextmanager
def _api(api_url: str | None, log: Path) -> Iterator[tuple[str, bool]]:
    if api_url:
        yield api_url.rstrip("/"), False
        return
    with serving_api(database_url(), log) as served:
        yield served.url, True


def _exempt_while_frozen(tag: str) -> str | None:
    """When writes are frozen, let the tag's users (only theirs) write through the API; the prefix exempted."""
    with UnitOfWork() as uow:
        if current_freeze(uow.session) is None:
            return None
        prefix = allow_during_freeze(uow.session, prefix=user_prefix(tag), by=ACTOR).exempt_prefix
        uow.commit()
    return prefix


def _end_exemption(prefix: str) -> None:
    with UnitOfWork() as uow:
        end_exemption(uow.session, by=ACTOR, prefix=prefix)  # not another run's, should one have replaced it
        uow.commit()


def smoke_test(*, api_url: str | None, log_dir: Path, stock: int = DEFAULT_STOCK) -> SmokeRun:
    """Prepare a smoke SKU, run the API steps against `api_url` (or an API started here), then retire the data."""
    if api_url:
        wait_healthy(api_url.rstrip("/"), timeout_s=15)  # a wrong --api-url is one line, before any data is made
    with UnitOfWork() as uow:
        fixture = prepare(uow.session, tag=new_tag(), stock=stock)
        uow.commit()
    exempted: str | None = None
    try:
        exempted = _exempt_while_frozen(fixture.tag)
        with _api(api_url, log_dir / f"{fixture.tag}-api.log") as (url, started):
            report = run_api_smoke(url, fixture)
    finally:
        try:
            if exempted:  # before retiring: a token still in an API's AuthCache can no longer write
                _end_exemption(exempted)
        finally:
            with UnitOfWork() as uow:
                done = cleanup(uow.session, tag=fixture.tag)
                uow.commit()
    summary = SmokeCleanupSummary(tag=done.tag, orders_cancelled=done.orders_cancelled,
                                  stock_written_off=done.stock_written_off, tokens_revoked=done.retired.tokens_revoked,
                                  skus_deactivated=done.retired.skus_deactivated,
                                  warehouses_deactivated=done.retired.warehouses_deactivated, kept=done.kept)
    return SmokeRun(report=report, cleanup=summary, api_started=started, exempted=exempted)
