"""Readiness checks of the environment an ERP implementation runs in, and the schema fingerprint."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
from prefect import task
from pydantic import BaseModel

from erp_models.fingerprint import database_fingerprint
from infra.db import UnitOfWork, check_connection, get_engine
from infra.errors import ErpopsError
from infra.migrate import current_revision, head_revision

MIN_FREE_DISK_BYTES = 1 << 30
MIN_PG_MAJOR = 14


class CheckResult(BaseModel):
    """Outcome of one readiness check."""

    check: str
    ok: bool
    detail: str


class SchemaFingerprint(BaseModel):
    """Revision and per-table content hashes of the ERP schema."""

    revision: str | None
    overall: str
    tables: list[dict[str, str | int]]


@task
def check_database() -> CheckResult:
    """PostgreSQL answers, and is new enough."""
    try:
        version = check_connection(get_engine())
    except ErpopsError as exc:
        return CheckResult(check="database", ok=False, detail=exc.message)
    major = int(version.split(".")[0])
    return CheckResult(
        check="database", ok=major >= MIN_PG_MAJOR, detail=f"PostgreSQL {version} (needs {MIN_PG_MAJOR}+)"
    )


@task
def check_schema() -> CheckResult:
    """The ERP schema is at the newest Alembic revision."""
    engine = get_engine()
    current, head = current_revision(engine), head_revision(engine)
    return CheckResult(check="schema", ok=current == head, detail=f"at {current}, newest is {head}")


@task
def check_prefect_api(api_url: str) -> CheckResult:
    """The Prefect server that records runs is healthy."""
    try:
        ok = httpx.get(f"{api_url}/health", timeout=5).status_code == 200
    except httpx.HTTPError as exc:
        return CheckResult(check="prefect", ok=False, detail=f"{api_url}: {exc}")
    return CheckResult(check="prefect", ok=ok, detail=f"{api_url} healthy" if ok else f"{api_url} unhealthy")


@task
def check_host(state_dir: Path) -> CheckResult:
    """Python is new enough and the state directory's disk has room."""
    free = shutil.disk_usage(state_dir if state_dir.exists() else Path.cwd()).free
    py_ok = sys.version_info >= (3, 11)
    detail = f"Python {sys.version.split()[0]}, {free / (1 << 30):.1f} GiB free"
    return CheckResult(check="host", ok=py_ok and free >= MIN_FREE_DISK_BYTES, detail=detail)


@task
def fingerprint_schema() -> SchemaFingerprint:
    """Order-independent content hashes of every ERP table."""
    with UnitOfWork() as uow:
        tables, overall = database_fingerprint(uow.session)
    return SchemaFingerprint(
        revision=current_revision(get_engine()),
        overall=overall,
        tables=[{"table": t.table, "rows": t.rows, "hash": t.digest} for t in tables],
    )
