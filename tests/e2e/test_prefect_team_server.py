"""A Prefect server as a team runs it (docs/deployment.md): its state on the PostgreSQL at 127.0.0.1:5432, Redis
(127.0.0.1:6379) carrying its messages, two API processes (`prefect server start --no-services`) and one process
of background services (`prefect server services start`). An erpops flow run reported to the first API is read
back through the second, and its events cross Redis to the services process, which stores them where the second
API reads them."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import URL

from tests.e2e.cli import run_erpops
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SERVER_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def reachable(host: str, port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def team_env(prefect_db: str, redis_db: int) -> dict[str, str]:
    """The settings every Prefect server process of the team shares (docs/deployment.md lists them)."""
    redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}"
    return {
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}",
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_SERVER_DOCKET_URL": redis_url,
        "PREFECT_REDIS_MESSAGING_URL": redis_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not healthy after {timeout_s:.0f} s: {log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], int]]:
    """Two API addresses of one Prefect server on PostgreSQL and Redis, and its Redis database; skipped where
    either server is absent."""
    if not reachable("127.0.0.1", 5432):
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 to hold the team's Prefect server")
    if not reachable(REDIS_HOST, REDIS_PORT):
        pytest.skip(f"no Redis on {REDIS_HOST}:{REDIS_PORT}: a Prefect server with more than one API process needs it")
    import redis

    prefect_db, redis_db = f"prefect_team_{uuid.uuid4().hex[:8]}", random.randint(1, 15)
    with psycopg.connect(SERVER_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{prefect_db}"')
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
    env = base | team_env(prefect_db, redis_db) | {"PREFECT_HOME": str(tmp_path_factory.mktemp("prefect-home"))}
    logs = tmp_path_factory.mktemp("team-server")
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], Path]:
        log = logs / f"{name}.log"
        with log.open("wb") as out:
            procs.append(subprocess.Popen([sys.executable, "-m", "prefect", "server", *args], env=env | (extra or {}),
                                          stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True))
        return procs[-1], log

    try:
        urls = []
        for n in (1, 2):  # the first migrates the database; the second starts on it as it is
            port = free_port()
            proc, log = start(f"api{n}", "start", "--no-services", "--host", "127.0.0.1", "--port", str(port),
                              extra={"PREFECT_SERVER_DATABASE_MIGRATE_ON_START": str(n == 1).lower()})
            urls.append(f"http://127.0.0.1:{port}/api")
            wait_healthy(urls[-1], proc, log)
        start("services", "services", "start")
        yield urls, redis_db
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db).flushdb()
        with psycopg.connect(SERVER_PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{prefect_db}" WITH (FORCE)')


def test_a_flow_run_reported_to_one_api_process_is_read_and_its_events_seen_through_the_other(
        team_server: tuple[list[str], int], cli_env: dict[str, str], new_database: Callable[[], URL]) -> None:
    import redis

    (first, second), redis_db = team_server
    env = dict(cli_env, PREFECT_API_URL=first, ERPOPS_DATABASE_URL=new_database().render_as_string(hide_password=False))
    assert run_erpops("db", "upgrade", env=env).returncode == 0
    loaded = run_erpops("plan", "load", str(ROOT / "examples" / "plan.yaml"), env=env)
    assert loaded.returncode == 0, loaded.stderr[-2000:]

    runs = httpx.post(f"{second}/flow_runs/filter", json={"flow_runs": {"name": {"like_": "plan"}}}, timeout=30).json()
    assert [r["state"]["type"] for r in runs] == ["COMPLETED"], runs
    flow_run = runs[0]["id"]
    deadline, seen = time.monotonic() + 60, []
    while time.monotonic() < deadline:  # api1 -> Redis -> the services' event persister -> PostgreSQL -> api2
        found = httpx.post(f"{second}/events/filter", timeout=30, json={
            "filter": {"any_resource": {"id": [f"prefect.flow-run.{flow_run}"]}, "order": "ASC"}, "limit": 50})
        seen = [e["event"] for e in found.json()["events"]]
        if "prefect.flow-run.Completed" in seen:
            break
        time.sleep(1)
    assert "prefect.flow-run.Running" in seen and "prefect.flow-run.Completed" in seen, seen
    streams = [k.decode() for k in redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=redis_db).keys("*")]
    assert "events" in streams, streams  # the events went through Redis, not an in-process queue
