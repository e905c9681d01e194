"""`erpops test run` as QA uses it: a plan's suites run as the test-suites flow, their evidence gates M6."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "fixtures" / "sample_suite"


def qa_plan(tmp_path: Path) -> Path:
    """The example plan with two suites of its own: the sample suite, and an `integration` suite that passes."""
    plan = tmp_path / "plan.yaml"
    plan.write_text((ROOT / "examples" / "plan.yaml").read_text(encoding="utf-8") + f"""
test_suites:
  - name: sample
    args: [check_sample.py]
    cwd: {SAMPLE}
  - name: integration
    args: [check_sample.py, -k, "not fails"]
    cwd: {SAMPLE}
""", encoding="utf-8")
    return plan


def prefect(env: dict[str, str], path: str, body: dict[str, Any] | None = None) -> Any:
    api = f"http://127.0.0.1:{env['ERPOPS_PREFECT_PORT']}/api"
    response = httpx.post(api + path, json=body or {}, timeout=10) if body is not None else httpx.get(api + path)
    response.raise_for_status()
    return response.json()


def test_a_failing_suite_fails_the_run_after_recording_its_evidence_and_failures(migrate_env: dict[str, str],
                                                                                 tmp_path: Path) -> None:
    result = run_erpops("test", "run", "--plan", str(qa_plan(tmp_path)), "--suite", "sample", "--json",
                        env=migrate_env)
    assert result.returncode == 1, result.stderr[-2000:]
    doc = json.loads(result.stdout)
    assert doc["status"] == "failed"
    [sample] = doc["suites"]
    assert {k: sample[k] for k in ("name", "status", "passed", "failed", "errors", "skipped", "total", "pass_rate")} \
        == {"name": "sample", "status": "failed", "passed": 1, "failed": 1, "errors": 0, "skipped": 1, "total": 3,
            "pass_rate": 0.5}
    assert sample["failures"] == [{"test_id": "check_sample.py::test_fails",
                                   "message": "AssertionError: reserved stock is not on hand"}]
    state_dir = Path(migrate_env["ERPOPS_STATE_DIR"])
    assert sample["junit_xml"] == str((state_dir / "test-runs" / doc["run_id"] / "sample.xml").resolve())
    assert (f"test-suites run {doc['run_id']} failed: sample: 1 of 2 tests failed "
            "(check_sample.py::test_fails)") in result.stderr

    listed = json.loads(run_erpops("evidence", "list", "--prefix", "tests.sample.", "--json", env=migrate_env).stdout)
    assert listed["judged"] == {"tests.sample.pass_rate": 0.5, "tests.sample.passed": 1.0, "tests.sample.failed": 1.0,
                                "tests.sample.errors": 0.0, "tests.sample.skipped": 1.0, "tests.sample.total": 3.0,
                                "tests.sample.duration_s": sample["duration_s"]}
    assert {(e["run_id"], e["scope"]) for e in listed["evidence"]} == {(doc["run_id"], "tests/sample")}

    run = prefect(migrate_env, f"/flow_runs/{doc['flow_run_id']}")
    assert (run["name"], run["state_name"], run["tags"]) == ("test-suites/sample", "Failed", ["phase:test"])
    assert run["state"]["message"] == "suite sample failed: 1 of 2 tests failed"
    artifacts = prefect(migrate_env, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    by_key = {a["key"]: a for a in artifacts}
    assert json.loads(by_key["test-failures"]["data"]) == [
        {"suite": "sample", "test_id": "check_sample.py::test_fails",
         "message": "AssertionError: reserved stock is not on hand"}]
    assert "# Test suite `sample`: **FAILED**" in by_key["test-suite-sample"]["data"]


def test_a_passing_integration_suite_satisfies_the_example_plans_m6_criterion(migrate_env: dict[str, str],
                                                                               tmp_path: Path) -> None:
    plan = qa_plan(tmp_path)
    assert run_erpops("plan", "load", str(plan), env=migrate_env).returncode == 0
    result = run_erpops("test", "run", "--plan", str(plan), "--suite", "integration", env=migrate_env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "integration: passed, 1 passed, 1 skipped" in result.stdout
    status = json.loads(run_erpops("plan", "status", "--json", env=migrate_env).stdout)
    [m6] = [m for m in status["milestones"] if m["code"] == "M6"]
    [tests_criterion] = [c for c in m6["criteria"] if c["key"] == "tests.integration.pass_rate"]
    assert (tests_criterion["value"], tests_criterion["passed"]) == (1.0, True)


def test_an_unknown_suite_is_one_line_before_anything_starts(cli_env: dict[str, str]) -> None:
    result = run_erpops("test", "run", "--suite", "unit", "--suite", "smoke", env=cli_env)
    assert result.returncode == 2
    assert result.stderr == ("erpops: unknown test suite 'smoke': the built-in suites are unit, integration, e2e "
                             "(a plan file's test_suites section names others)\n")
