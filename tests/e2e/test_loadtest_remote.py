"""`erpops loadtest run --remote-workers 1` with `erpops loadtest worker` as the "other host": the worker, started
from another directory with nothing but the master's address, gets the run's data from the master and does its
share of the load. Loopback only, a few seconds of load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cli import ERPOPS, run_erpops
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_from_another_directory_joins_the_run_and_shares_the_load(migrate_env: dict[str, str],
                                                                            tmp_path: Path) -> None:
    port = free_port()
    elsewhere = tmp_path / "other-host"
    elsewhere.mkdir()
    with (tmp_path / "worker.log").open("w") as log:
        worker = subprocess.Popen([ERPOPS, "loadtest", "worker", "--master-host", "127.0.0.1", "--master-port",
                                   str(port), "--connect-timeout", "180"],
                                  env=migrate_env, cwd=elsewhere, stdin=subprocess.DEVNULL, stdout=log,
                                  stderr=subprocess.STDOUT)
        try:
            done = run_erpops("loadtest", "run", "--profile", "smoke", "--duration", "6", "--workers", "1",
                              "--remote-workers", "1", "--master-port", str(port), "--json", env=migrate_env,
                              timeout=300)
            worker_code = worker.wait(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
    worker_log = (tmp_path / "worker.log").read_text()
    assert done.stdout, done.stderr[-3000:] + worker_log[-2000:]
    doc = json.loads(done.stdout)
    assert done.returncode == 0, doc["reason"]
    assert doc["status"] == "passed" and doc["invariants"]["ok"]
    result = json.loads((Path(doc["run_dir"]) / "result.json").read_text())
    assert result["workers"] == 2
    assert len(result["worker_requests"]) == 2 and all(n > 0 for n in result["worker_requests"].values())
    assert sum(result["worker_requests"].values()) == sum(e["requests"] for e in result["endpoints"].values())
    assert worker_code == 0, worker_log[-2000:]


def test_a_worker_without_a_master_gives_up_with_one_line(migrate_env: dict[str, str], tmp_path: Path) -> None:
    done = subprocess.run([ERPOPS, "loadtest", "worker", "--master-host", "127.0.0.1", "--master-port",
                           str(free_port()), "--connect-timeout", "2"], env=migrate_env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

    assert done.returncode == 4
    assert "cannot reach the Locust master at 127.0.0.1:" in done.stderr and "Traceback" not in done.stderr


def test_a_master_whose_remote_workers_never_come_ends_with_one_line(tmp_path: Path) -> None:
    tokens = dict.fromkeys(("connector", "shopper", "warehouse", "purchaser", "manager"), "erp_unused")
    config = {"host": "http://127.0.0.1:9", "users": 2, "spawn_rate": 2, "duration_s": 3, "workers": 1,
              "remote_workers": 1, "master_port": free_port(), "workers_wait_s": 3,
              "fixture": {"tag": "LT-000000", "warehouse": "W", "skus": ["A"], "supplier": "S", "customer_ref": "c",
                          "tokens": tokens}}
    (tmp_path / "CONFIG.json").write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "loadtests.run", "--config", str(tmp_path / "CONFIG.json"), "--out",
                           str(tmp_path / "out")], env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)

    assert done.returncode == 4
    assert done.stderr.strip().splitlines()[-1].startswith("loadtests.run: only 1 of 2 Locust workers joined")
    assert "Traceback" not in done.stderr and not (tmp_path / "out" / "result.json").exists()
