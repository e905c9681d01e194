"""`erpops plan`, `evidence`, `training` and `feedback` as a project manager and QA use them."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.settings import normalize_database_url
from tests.e2e.cli import ERPOPS, run_erpops

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"


def record_smoke_run(env: dict[str, str], values: dict[str, float]) -> None:
    """What a passing `erpops loadtest run --profile smoke` leaves, without its 30 s (tests/e2e/test_loadtest.py
    runs the real one)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from erp_models.project.evidence import record_evidence

    engine = create_engine(normalize_database_url(env["ERPOPS_DATABASE_URL"]))
    with Session(engine) as session, session.begin():
        record_evidence(session, source="load-test smoke", values=values, run_id=uuid.uuid4(), scope="loadtest/smoke")
    engine.dispose()


def status(env: dict[str, str]) -> dict[str, Any]:
    result = run_erpops("plan", "status", "--json", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return {m["code"]: m for m in json.loads(result.stdout)["milestones"]}


def test_a_broken_plan_fails_in_one_line_before_anything_starts(db_env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "plan.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    broken.write_text(text.replace("technical_strength: 0.25", "technical_strength: 0.5"), encoding="utf-8")
    result = run_erpops("plan", "load", str(broken), env=db_env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "criteria weights sum to 1.25, not 1" in result.stderr


def test_milestones_follow_the_evidence_that_qa_and_trainers_record(migrate_env: dict[str, str],
                                                                    tmp_path: Path) -> None:
    loaded = run_erpops("plan", "load", str(EXAMPLE), "--json", env=migrate_env)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert json.loads(loaded.stdout)["counts"]["milestones"] == 8
    before = status(migrate_env)
    assert before["M6"]["status"] == "pending"
    assert [c["value"] for c in before["M6"]["criteria"]] == [None, None, None]

    report = tmp_path / "junit.xml"
    report.write_text('<testsuites><testsuite name="pytest" tests="10" failures="1" errors="0" skipped="2">'
                      "</testsuite></testsuites>", encoding="utf-8")
    recorded = run_erpops("evidence", "junit", str(report), "--suite", "integration", env=migrate_env)
    assert recorded.returncode == 0 and "7 of 8 passed" in recorded.stdout
    by_hand = run_erpops("evidence", "record", "loadtest.smoke.place_order.p95_ms=43", env=migrate_env)
    assert by_hand.returncode == 2 and "erpops loadtest run" in by_hand.stderr  # only the flow's figures gate
    record_smoke_run(migrate_env, {"loadtest.smoke.place_order.p95_ms": 43, "loadtest.smoke.invariants_ok": 1})
    failing = status(migrate_env)["M6"]
    assert failing["status"] == "failed"  # 7 of 8 is not a pass rate of 1.0
    assert [(c["value"], c["passed"]) for c in failing["criteria"]] == [(0.875, False), (43.0, True), (1.0, True)]

    report.write_text('<testsuite name="pytest" tests="8" failures="0" errors="0" skipped="0"/>', encoding="utf-8")
    assert run_erpops("evidence", "junit", str(report), "--suite", "integration", env=migrate_env).returncode == 0
    assert status(migrate_env)["M6"]["status"] == "passed"

    submitted = run_erpops("feedback", "submit", "--module", "sales", "--severity", "critical", "--title",
                           "订单重复 Orders duplicated", "--by", "trial user", "--json", env=migrate_env)
    assert submitted.returncode == 0, submitted.stderr
    listed = json.loads(run_erpops("evidence", "list", "--prefix", "feedback.", "--json", env=migrate_env).stdout)
    assert listed["judged"]["feedback.open_critical"] == 1.0
    feedback_id = json.loads(submitted.stdout)["id"]
    resolved = run_erpops("feedback", "set-status", str(feedback_id), "resolved", "--by", "pm", "--change", "v1.0.1",
                          env=migrate_env)
    assert resolved.returncode == 0, resolved.stderr
    listed = json.loads(run_erpops("evidence", "list", "--prefix", "feedback.", "--json", env=migrate_env).stdout)
    assert listed["judged"]["feedback.open_critical"] == 0.0

    manuals = run_erpops("manual", str(tmp_path / "manual"), "--evidence", env=migrate_env)
    assert manuals.returncode == 0, manuals.stderr
    assert json.loads(run_erpops("evidence", "list", "--prefix", "manual.", "--json", env=migrate_env).stdout)[
        "judged"] == {"manual.roles": 7.0}


def test_an_unknown_evidence_key_is_refused_in_one_line(db_env: dict[str, str]) -> None:
    result = run_erpops("evidence", "record", "tests.integration.passrate=1", env=db_env)
    assert result.returncode == 2
    assert "unknown evidence key 'tests.integration.passrate'" in result.stderr and "Traceback" not in result.stderr


def test_the_gates_flow_pauses_for_sign_off_and_records_the_approvers_answer(migrate_env: dict[str, str]) -> None:
    assert run_erpops("plan", "load", str(EXAMPLE), env=migrate_env).returncode == 0
    api = f"http://127.0.0.1:{migrate_env['ERPOPS_PREFECT_PORT']}/api"
    started = time.time()
    gates = subprocess.Popen([ERPOPS, "plan", "gates", "--approval-timeout", "120", "--json"], env=migrate_env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                             cwd=os.path.dirname(migrate_env["ERPOPS_STATE_DIR"]))
    try:
        paused = wait_for_paused_run(api, since=started, timeout_s=90)
        description = paused["state"]["state_details"].get("run_input_keyset") or {}
        assert description, "the pause asks for input"
        # The form requires a name; the server does not check a resumed run's input, so the flow refuses a blank one.
        blank = httpx.post(f"{api}/flow_runs/{paused['id']}/resume", timeout=10,
                           json={"run_input": {"decision": "approve", "approver": "  ", "note": ""}})
        assert blank.status_code in (200, 201), blank.text
        paused_again(api, paused, timeout_s=60)
        answer = {"decision": "approve", "approver": "王芳", "note": "vendor contract signed"}
        resumed = httpx.post(f"{api}/flow_runs/{paused['id']}/resume", timeout=10, json={"run_input": answer})
        assert resumed.status_code in (200, 201), resumed.text
        out, err = gates.communicate(timeout=120)
    finally:
        gates.kill()
    assert gates.returncode == 0, err[-2000:]
    milestones = {m["code"]: m for m in json.loads(out)["milestones"]}
    assert milestones["M1"]["status"] == "approved"
    assert status(migrate_env)["M1"]["status"] == "approved"  # the sign-off is stored, not just reported


def wait_for_paused_run(api: str, *, since: float, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = httpx.post(f"{api}/flow_runs/filter", timeout=10, json={
            "flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}, "sort": "START_TIME_DESC", "limit": 5}).json()
        fresh = [r for r in runs if r["name"] and r["start_time"] and _epoch(r["start_time"]) >= since - 5]
        if fresh:
            return dict(fresh[0])
        time.sleep(1)
    raise AssertionError("the milestone-gates flow never paused for a sign-off")


def paused_again(api: str, first: dict[str, Any], *, timeout_s: float) -> None:
    """Until the run is paused anew (another state than the first pause's): the form was asked again."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = httpx.get(f"{api}/flow_runs/{first['id']}", timeout=10).json()
        if run["state_type"] == "PAUSED" and run["state"]["id"] != first["state"]["id"]:
            return
        assert run["state_type"] in ("PAUSED", "RUNNING"), run["state"]  # a blank name must not end the run
        time.sleep(0.5)
    raise AssertionError("the sign-off was not asked again after a blank approver")


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_a_pm_signs_off_and_closes_risks_from_the_command_line(migrate_env: dict[str, str]) -> None:
    assert run_erpops("plan", "load", str(EXAMPLE), env=migrate_env).returncode == 0
    assert status(migrate_env)["M1"]["status"] == "awaiting_approval"
    approved = run_erpops("plan", "approve", "M1", "--by", "王芳", "--note", "合同已签", env=migrate_env)
    assert (approved.returncode, approved.stdout.strip()) == (0, "M1: approved by 王芳")
    assert status(migrate_env)["M1"]["status"] == "approved"  # judging again keeps the sign-off

    refused = run_erpops("plan", "approve", "M6", "--by", "王芳", env=migrate_env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "milestone M6 is pending" in refused.stderr
    assert run_erpops("plan", "risk", "RK1", "mitigated", env=migrate_env).stdout.strip() == "RK1: mitigated"
    unknown = run_erpops("plan", "risk", "RK1", "solved", env=migrate_env)
    assert unknown.returncode == 2 and "'solved' is not one of open, raised, mitigated, closed" in unknown.stderr
