"""The monitor's API probe: a short, bounded burst at /health and at a real read endpoint, with a short-lived viewer
token that is revoked afterwards. The API is the one given, or one started on loopback for the probe."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from prefect import task

from erp_models.enums import RoleName
from erp_models.ops.monitor import Probe
from erp_models.ops.monitor_spec import MonitorSpec
from erp_models.ops.monitor_thresholds import percentile
from erp_models.security.services import issue_token, revoke_token
from infra.api_process import serving_api, wait_healthy
from infra.db import UnitOfWork
from infra.errors import StackError
from infra.settings import get_settings
from infra.stack import database_url

MONITOR_USER = "ops-monitor"  # one user for every run; each run's token lives minutes and is revoked after
TOKEN_LIFETIME = timedelta(minutes=10)
REQUEST_TIMEOUT_S = 5.0


@contextmanager
def _api(api_url: str | None) -> Iterator[str]:
    if api_url:
        url = api_url.rstrip("/")
        wait_healthy(url, timeout_s=10)
        yield url
        return
    log = get_settings().state_dir / "monitor" / "api.log"
    with serving_api(database_url(), Path(log)) as served:
        yield served.url


def _burst(client: httpx.Client, url: str, count: int, headers: dict[str, str]) -> tuple[list[float], int]:
    """Latencies in ms of the answered requests, and how many failed (non-2xx or no answer)."""
    latencies, errors = [], 0
    for _ in range(count):
        start = time.perf_counter()
        try:
            response = client.get(url, headers=headers, timeout=REQUEST_TIMEOUT_S)
        except httpx.HTTPError:
            errors += 1
            continue
        latencies.append((time.perf_counter() - start) * 1000)
        errors += not response.is_success
    return latencies, errors


@task(task_run_name="probe the API")
def probe_api(spec: MonitorSpec, api_url: str | None) -> Probe:
    """p95 of /health and of the read endpoint over `api_requests` each, and the error ratio of both."""
    with UnitOfWork() as uow:
        issued = issue_token(uow.session, username=MONITOR_USER, role=RoleName.VIEWER.value, actor="monitor",
                             expires_in=TOKEN_LIFETIME)
        uow.commit()
    try:
        with _api(api_url) as url, httpx.Client() as client:
            client.get(f"{url}/health", timeout=REQUEST_TIMEOUT_S)  # warm the connection, not measured
            health, health_errors = _burst(client, f"{url}/health", spec.api_requests, {})
            read, read_errors = _burst(client, f"{url}{spec.api_read_path}", spec.api_requests,
                                       {"Authorization": f"Bearer {issued.token}"})
    except StackError as exc:
        return Probe(figures={"api.health_p95_ms": None, "api.read_p95_ms": None, "api.error_ratio": 1.0},
                     notes={"api.error_ratio": str(exc)})
    finally:
        with UnitOfWork() as uow:
            revoke_token(uow.session, token_id=issued.token_id, actor="monitor")
            uow.commit()
    total = 2 * spec.api_requests
    return Probe(figures={"api.health_p95_ms": _rounded(percentile(health, 95)),
                          "api.read_p95_ms": _rounded(percentile(read, 95)),
                          "api.error_ratio": round((health_errors + read_errors) / total, 4)},
                 notes={"api.read_p95_ms": f"GET {spec.api_read_path}, {spec.api_requests} requests",
                        "api.error_ratio": f"{health_errors + read_errors} of {total} requests failed"})


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
