"""`erpops loadtest run` end to end: a smoke run passes and leaves evidence; planted bugs fail it the right way."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cli import run_erpops
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLAN = ROOT / "examples" / "plan.yaml"


def loadtest(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_erpops("loadtest", "run", "--profile", "smoke", "--json", *args, env=env, timeout=240)
    assert done.stdout, done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout), done.stderr


@contextmanager
def planted_api(env: dict[str, str], factory: str, tmp_path: Path) -> Iterator[str]:
    """One of tests/fixtures/planted_bugs.py's apps on loopback, on the test's ERP database."""
    port, log = free_port(), (tmp_path / f"{factory}.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", f"tests.fixtures.planted_bugs:{factory}", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            env=env | {"PYTHONPATH": str(ROOT)}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            assert proc.poll() is None, (tmp_path / f"{factory}.log").read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def test_a_smoke_run_passes_keeps_its_report_and_records_evidence_for_the_gate(migrate_env: dict[str, str]) -> None:
    code, doc, _ = loadtest(migrate_env, "--duration", "6")

    assert code == 0, doc["reason"]
    assert doc["status"] == "passed" and doc["invariants"]["ok"]
    assert doc["endpoints"]["place_order"]["requests"] > 0 and all(t["passed"] for t in doc["thresholds"])
    report = Path(doc["report_html"])
    assert report.is_file() and report.parent.name == doc["run_id"]
    assert {p.name for p in report.parent.iterdir()} >= {"result.json", "orders.jsonl", "stats_stats.csv"}
    listed = run_erpops("evidence", "list", "--prefix", "loadtest.smoke.", "--json", env=migrate_env)
    judged = {e["key"]: e for e in json.loads(listed.stdout)["evidence"] if e["state"] == "judged"}
    assert judged["loadtest.smoke.invariants_ok"]["value"] == 1.0
    assert judged["loadtest.smoke.place_order.p95_ms"]["run_id"] == doc["run_id"]
    assert judged["loadtest.smoke.place_order.p95_ms"]["value"] == doc["endpoints"]["place_order"]["p95_ms"]
    api = f"http://127.0.0.1:{migrate_env['ERPOPS_PREFECT_PORT']}/api"
    artifacts = httpx.post(f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [doc["run_id"]]}}})
    summary = next(a["data"] for a in artifacts.json() if a["key"] == "load-test-smoke")
    assert "## Endpoints" in summary and "| place_order |" in summary and "## Invariants" in summary


def test_a_planted_oversell_fails_on_the_invariants_while_every_latency_passes(migrate_env: dict[str, str],
                                                                               tmp_path: Path) -> None:
    with planted_api(migrate_env, "oversell_app", tmp_path) as url:
        code, doc, stderr = loadtest(migrate_env, "--api-url", url, "--users", "8", "--duration", "8", "--skus", "2")

    assert code == 3, stderr[-2000:]
    assert doc["status"] == "failed" and doc["failed_on"] == ["invariants"]
    assert all(t["passed"] for t in doc["thresholds"])
    assert "reservations" in {v["check"] for v in doc["invariants"]["violations"]}
    assert stderr.strip().splitlines()[-1].startswith("erpops: load test smoke failed: invariants violated")
    run = httpx.get(f"http://127.0.0.1:{migrate_env['ERPOPS_PREFECT_PORT']}/api/flow_runs/{doc['run_id']}").json()
    assert (run["name"], run["state"]["type"]) == ("load-test/smoke", "FAILED")
    assert run["state"]["message"].startswith("invariants violated: ")
    assert {"phase:test", "profile:smoke"} <= set(run["tags"])


def test_a_planted_slow_stock_lookup_fails_its_threshold(migrate_env: dict[str, str], tmp_path: Path) -> None:
    with planted_api(migrate_env, "slow_stock_app", tmp_path) as url:
        code, doc, stderr = loadtest(migrate_env, "--api-url", url, "--plan", str(EXAMPLE_PLAN), "--duration", "8")

    assert code == 1, stderr[-2000:]
    assert doc["failed_on"] == ["thresholds"] and doc["invariants"]["ok"]
    failed = [t for t in doc["thresholds"] if not t["passed"]]
    assert [t["expr"] for t in failed] == ["stock_lookup: p(95) < 300"]
    assert failed[0]["value"] >= 600


def test_bad_input_is_one_line_and_exit_2(cli_env: dict[str, str]) -> None:
    done = run_erpops("loadtest", "run", "--profile", "spike", env=cli_env)
    silent = run_erpops("loadtest", "run", "--api-url", f"http://127.0.0.1:{free_port()}", env=cli_env)

    assert done.returncode == silent.returncode == 2
    assert done.stderr.strip() == "erpops: --profile: 'spike' is not one of smoke, load, stress, soak"
    assert silent.stderr.strip().endswith("did not answer /health within 10 s")
    assert len(silent.stderr.strip().splitlines()) == 1
