"""Every phase deployed with `erpops deploy`, and run by two `erpops worker` processes (each in its own working
directory) polling one pool of one Prefect server on PostgreSQL (the embedded default): runs land on both
workers, a worker killed mid-migration leaves a run that a retry finishes on the other one with exactly a clean
run's data, and the pool's concurrency limit holds."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
import psutil
import psycopg
import pytest
from sqlalchemy.engine import URL

from erp_models.enums import MigrationRunStatus
from tests.conftest import state_dir
from tests.e2e.cli import ERPOPS, run_erpops
from tests.e2e.conftest import free_port
from tests.e2e.test_migrate_resume import big_mapping, fingerprint, loaded_line_batches

pytestmark = pytest.mark.slow
POOL = "e2e-pool"
SUBMITTED = re.compile(r"Worker '\w+' submitting flow run '([0-9a-f-]{36})'")
ABORTED = re.compile(r"Aborted submission of flow run '([0-9a-f-]{36})'")  # another worker had taken it
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass
class Team:
    env: dict[str, str]
    workers: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]
    database_url: str  # the ERP's, for the checks that read it directly

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['ERPOPS_PREFECT_PORT']}/api"

    def run(self, deployment: str, parameters: dict[str, Any] | None = None) -> str:
        """Start a deployment through the Prefect API, as the UI's Run button does; the flow run's id."""
        found = httpx.get(f"{self.api}/deployments/name/{deployment}/{deployment}", timeout=30).json()
        made = httpx.post(f"{self.api}/deployments/{found['id']}/create_flow_run",
                          json={"parameters": parameters or {}}, timeout=30)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def flow_run(self, flow_run_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = httpx.get(f"{self.api}/flow_runs/{flow_run_id}", timeout=30).json()
        return doc

    def wait(self, ids: list[str], timeout_s: float = 240) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while True:
            runs = [self.flow_run(i) for i in ids]
            if all(r["state"]["type"] in FINAL for r in runs):
                return runs
            assert time.monotonic() < deadline, [(r["name"], r["state"]["type"]) for r in runs]
            time.sleep(1)

    def set_state(self, flow_run_id: str, state: dict[str, Any], *, force: bool) -> str:
        done = httpx.post(f"{self.api}/flow_runs/{flow_run_id}/set_state", json={"state": state, "force": force},
                          timeout=30)
        assert done.status_code in (200, 201), done.text
        return str(done.json()["status"])

    def worker_of(self, flow_run_id: str) -> set[str]:
        """The workers whose log says they started the flow run (submitted it, and were not beaten to it)."""
        found = set()
        for name, log in self.logs.items():
            text = log.read_text(errors="replace")
            if SUBMITTED.findall(text).count(flow_run_id) > ABORTED.findall(text).count(flow_run_id):
                found.add(name)
        return found


def start_worker(env: dict[str, str], home: Path, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    home.mkdir(parents=True)
    log = home / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([ERPOPS, "worker", "--pool", POOL, "--name", name, "--limit", "1"], env=env, cwd=home,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return proc, log


def tables(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """`erpops db fingerprint`: per content table, its rows and hash."""
    return cast(dict[str, dict[str, Any]], fingerprint(env)["tables"])


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """kill -9 the worker and every flow run it started, as a host that died would leave them."""
    try:
        parent = psutil.Process(proc.pid)
        victims = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for victim in victims:
        try:
            victim.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def team(new_database: Callable[[], URL]) -> Iterator[Team]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
    with state_dir("workers") as state:
        env |= {"ERPOPS_STATE_DIR": str(state), "ERPOPS_PREFECT_PORT": str(free_port()),
                "GX_ANALYTICS_ENABLED": "false", "PREFECT_WORKER_QUERY_SECONDS": "1"}
        if os.environ.get("ERPOPS_TEST_DATABASE_URL"):
            env["ERPOPS_DATABASE_URL"] = new_database().render_as_string(hide_password=False)
        workers: dict[str, subprocess.Popen[bytes]] = {}
        try:
            assert run_erpops("db", "upgrade", env=env, timeout=240).returncode == 0
            database_url = run_erpops("db", "url", env=env).stdout.strip()
            deployed = run_erpops("deploy", "--pool", POOL, "--json", env=env, timeout=300)
            assert deployed.returncode == 0, deployed.stderr[-2000:]
            doc = json.loads(deployed.stdout)
            assert doc["pool"] == POOL and len(doc["deployments"]) >= 15
            logs = {}
            for name in ("w1", "w2"):
                workers[name], logs[name] = start_worker(env, state.parent / name, name)
            yield Team(env, workers, logs, database_url)
        finally:
            for proc in workers.values():
                kill_tree(proc)
            run_erpops("stop", env=env, timeout=120)


def test_two_workers_run_deployments_survive_a_killed_worker_and_respect_the_pool_limit(
        team: Team, tmp_path: Path, new_database: Callable[[], URL]) -> None:
    # 1. Runs started through the API complete, on both workers (each takes one run at a time).
    plan = team.wait([team.run("plan")])[0]
    assert plan["state"]["type"] == "COMPLETED", plan["state"]
    statuses = team.wait([team.run("plan-status") for _ in range(4)])
    assert {r["state"]["type"] for r in statuses} == {"COMPLETED"}
    ran_on = {w for r in [plan, *statuses] for w in team.worker_of(r["id"])}
    assert ran_on == {"w1", "w2"}, ran_on

    # 2. A worker killed mid-migration: its run stays RUNNING; marked crashed and retried (the UI's "Retry"), the
    # other worker finishes it, and the ERP holds exactly what a clean load gives.
    mapping = big_mapping(tmp_path)
    migration = team.run("migration", {"params": {"mapping": str(mapping), "out_dir": str(tmp_path / "out")}})
    deadline = time.monotonic() + 240
    while loaded_line_batches(dict(team.env, ERPOPS_DATABASE_URL=team.database_url)) < 2:
        assert team.flow_run(migration)["state"]["type"] not in FINAL, "the run finished before it could be killed"
        assert time.monotonic() < deadline, "the migration never reached the order lines"
        time.sleep(0.05)
    deadline = time.monotonic() + 30  # both workers may have tried; the one beaten to it says so in its log
    while len(owners := team.worker_of(migration)) != 1:
        assert time.monotonic() < deadline, owners
        time.sleep(0.2)
    (victim,) = owners
    kill_tree(team.workers[victim])
    assert team.flow_run(migration)["state"]["type"] == "RUNNING"
    team.set_state(migration, {"type": "CRASHED", "message": "its worker died"}, force=True)
    assert team.set_state(migration, {"type": "SCHEDULED", "name": "AwaitingRetry"}, force=False) == "ACCEPT"
    finished = team.wait([migration])[0]
    assert finished["state"]["type"] == "COMPLETED", finished["state"]
    assert finished["run_count"] >= 2
    with psycopg.connect(team.database_url.replace("postgresql+psycopg", "postgresql")) as conn:
        statuses_of_runs = conn.execute("SELECT status FROM migration_runs").fetchall()
    # the retry continued the killed run; it started no second one
    assert statuses_of_runs == [(MigrationRunStatus.PASSED,)]
    survivor = ({"w1", "w2"} - {victim}).pop()
    assert survivor in team.worker_of(migration)
    clean = dict(team.env, ERPOPS_DATABASE_URL=new_database().render_as_string(hide_password=False))
    assert run_erpops("db", "upgrade", env=clean).returncode == 0
    loaded = run_erpops("migrate", "--mapping", str(mapping), "--json", env=clean)
    assert json.loads(loaded.stdout)["status"] == MigrationRunStatus.PASSED, loaded.stderr
    expected = {t: f for t, f in tables(clean).items() if f["rows"]}
    assert {t: tables(team.env)[t] for t in expected} == expected  # the plan the team loaded is in other tables
    check = run_erpops("db", "check", "--json", env=team.env)
    assert check.returncode == 0, check.stdout

    # 3. With the pool limited to one run at a time, three runs never overlap (one worker is left; it would take
    # them one by one anyway, so a fresh worker joins it, with room for two).
    team.workers[victim], team.logs[victim] = start_worker(team.env, tmp_path / "w3", victim)
    limited = httpx.patch(f"{team.api}/work_pools/{POOL}", json={"concurrency_limit": 1}, timeout=30)
    assert limited.status_code == 204, limited.text
    try:
        runs = team.wait([team.run("plan-status") for _ in range(3)])
    finally:
        httpx.patch(f"{team.api}/work_pools/{POOL}", json={"concurrency_limit": None}, timeout=30)
    assert {r["state"]["type"] for r in runs} == {"COMPLETED"}
    spans = sorted((datetime.fromisoformat(r["start_time"]), datetime.fromisoformat(r["end_time"])) for r in runs)
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False)), spans
