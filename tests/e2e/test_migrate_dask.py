"""Migration staging on Dask workers (prefect-dask): a run on a local cluster of 2 workers ends with exactly a
run's data, legacy-key ids and report in one process; on an existing cluster (ERPOPS_DASK_ADDRESS, workers
started with no erpops settings at all) a worker killed mid-batch is restarted by its nanny, the entity's
batches are retried from their checkpoints, and the run still ends as a clean one."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
from sqlalchemy.engine import URL

from tests.e2e.cli import ERPOPS, run_erpops
from tests.e2e.conftest import free_port
from tests.e2e.test_migrate_resume import big_mapping, clean_run, dsn, fingerprint, report

pytestmark = pytest.mark.slow
DASK = str(Path(ERPOPS).with_name("dask"))


def ids(env: dict[str, str]) -> list[tuple[str, str, int]]:
    with psycopg.connect(dsn(env)) as conn:
        return [(e, k, int(i)) for e, k, i in conn.execute(
            "SELECT entity, legacy_key, target_id FROM legacy_key_map ORDER BY entity, legacy_key")]


def staged_line_batches(env: dict[str, str]) -> int:
    with psycopg.connect(dsn(env)) as conn:
        row = conn.execute("""SELECT count(*) FROM migration_checkpoints WHERE entity = 'sales_order_lines'
                              AND phase = 'staged' AND batch_no > 0""").fetchone()
    return int(row[0]) if row else 0


def fresh(shared_stack: dict[str, str], new_database: Callable[[], URL]) -> dict[str, str]:
    env = dict(shared_stack, ERPOPS_DATABASE_URL=new_database().render_as_string(hide_password=False))
    assert run_erpops("db", "upgrade", env=env).returncode == 0
    return env


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Dask scheduler and one nanny-kept worker on loopback, started with no erpops or Prefect settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERPOPS_", "PREFECT_"))}
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    procs = []
    with (tmp_path / "dask.log").open("wb") as log:
        procs.append(subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
                                      env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--nworkers", "1",
                                       "--no-dashboard", "--host", "127.0.0.1"], env=env, cwd=tmp_path,
                                      stdout=log, stderr=subprocess.STDOUT))
    try:
        yield address, procs[1]
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def worker_process(nanny: subprocess.Popen[bytes], timeout_s: float = 60) -> psutil.Process:
    """The worker process the nanny spawned (not its resource tracker)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child in psutil.Process(nanny.pid).children():
            if "spawn_main" in " ".join(child.cmdline()):
                return child
        time.sleep(0.2)
    raise AssertionError("the Dask worker process never started")


def test_dask_staging_equals_one_process_and_survives_a_killed_worker(
        tmp_path: Path, shared_stack: dict[str, str], new_database: Callable[[], URL],
        dask_cluster: tuple[str, subprocess.Popen[bytes]]) -> None:
    mapping = big_mapping(tmp_path)
    clean_doc, clean_env = clean_run(mapping, shared_stack, new_database)

    local = fresh(shared_stack, new_database)
    done = run_erpops("migrate", "--mapping", str(mapping), "--dask-workers", "2", "--json", env=local)
    assert done.returncode == 0, done.stderr[-2000:]
    assert report(json.loads(done.stdout)) == report(clean_doc)
    assert fingerprint(local) == fingerprint(clean_env)
    assert ids(local) == ids(clean_env)

    address, nanny = dask_cluster
    remote = fresh(shared_stack, new_database) | {"ERPOPS_DASK_ADDRESS": address}
    worker = worker_process(nanny)
    run = subprocess.Popen([ERPOPS, "migrate", "--mapping", str(mapping), "--json"], env=remote,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=os.path.dirname(remote["ERPOPS_STATE_DIR"]))
    deadline = time.monotonic() + 240
    while staged_line_batches(remote) < 2:
        assert run.poll() is None, "the run finished before its worker could be killed"
        assert time.monotonic() < deadline, "the run never staged the order lines"
        time.sleep(0.05)
    worker.kill()  # kill -9 mid-batch: the nanny starts a new worker, the scheduler gives it the task again
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err[-3000:]
    assert worker_process(nanny).pid != worker.pid
    assert report(json.loads(out)) == report(clean_doc)
    assert fingerprint(remote) == fingerprint(clean_env)
    assert ids(remote) == ids(clean_env)
    del remote["ERPOPS_DASK_ADDRESS"]
    check: Any = run_erpops("db", "check", "--json", env=remote)
    assert check.returncode == 0, check.stdout
