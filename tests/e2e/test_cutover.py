"""`erpops cutover rehearse|run|status` as a go-live team runs them, on a migrated ERP and the example runbook's
steps (its final delta pointing at the sample export's mapping)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from sqlalchemy.engine import URL, make_url

from erp_models.cutover.journal import CutoverMode, CutoverStatus, StepStatus
from tests.e2e.cli import ERPOPS, run_erpops

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cutover.yaml"
APPROVER = "王芳"
PRE_SWITCH = ["readiness", "go_no_go", "freeze", "backup", "export_legacy", "final_delta", "reconcile", "smoke"]


@pytest.fixture(scope="module")
def erp(shared_stack: dict[str, str], new_database: Callable[[], URL],
        tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A migrated ERP (a small sample export), with the stack shared by the session's flow tests."""
    env = dict(shared_stack)
    env["ERPOPS_DATABASE_URL"] = new_database().render_as_string(hide_password=False)
    assert run_erpops("db", "upgrade", env=env).returncode == 0
    export = tmp_path_factory.mktemp("cutover-export")
    made = run_erpops("sample-data", str(export), "--orders", "40", "--dirty-rate", "0", env=env)
    assert made.returncode == 0, made.stderr
    loaded = run_erpops("migrate", "--mapping", str(export / "mapping.yaml"), env=env, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    return {"env": env, "mapping": export / "mapping.yaml"}


def runbook(erp: dict[str, Any], folder: Path, **changes: Any) -> Path:
    """The example runbook with the sample export's mapping, the checks a test can run, and `changes` per step."""
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for step in document["steps"]:
        if step["kind"] == "final_delta":
            step["mapping"] = str(erp["mapping"])
        if step["kind"] == "post_checks":
            step["checks"] = ["db_check", "fingerprint"]
        step.update(changes.get(step["name"], {}))
    path = folder / "cutover.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def fingerprint(env: dict[str, str]) -> str:
    done = run_erpops("db", "fingerprint", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["fingerprint"])


def cutover(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_erpops("cutover", *args, "--json", env=env, timeout=600)
    document = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, document, done.stderr


def databases(env: dict[str, str]) -> set[str]:
    dsn = make_url(env["ERPOPS_DATABASE_URL"]).set(drivername="postgresql", database="postgres")
    with psycopg.connect(dsn.render_as_string(hide_password=False), autocommit=True) as conn:
        return {str(r[0]) for r in conn.execute("SELECT datname FROM pg_database")}


@pytest.fixture
def copies(erp: dict[str, Any]) -> Iterator[list[str]]:
    """Rehearsal copies a test kept (--keep-copy), dropped afterwards."""
    kept: list[str] = []
    yield kept
    dsn = make_url(erp["env"]["ERPOPS_DATABASE_URL"]).set(drivername="postgresql", database="postgres")
    with psycopg.connect(dsn.render_as_string(hide_password=False), autocommit=True) as conn:
        for name in kept:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_rehearsal_runs_every_step_on_a_copy_and_ends_with_a_rollback_drill(erp: dict[str, Any],
                                                                             tmp_path: Path) -> None:
    env = erp["env"]
    before = fingerprint(env)

    code, run, stderr = cutover(env, "rehearse", "--runbook", str(runbook(erp, tmp_path)), "--approve-as", APPROVER)

    assert code == 0, stderr
    assert run["mode"] == CutoverMode.REHEARSAL and run["status"] == CutoverStatus.PASSED
    assert [(s["name"], s["status"]) for s in run["steps"]] == [(s, "passed") for s in [*PRE_SWITCH, "switch",
                                                                                        "post_checks"]]
    assert all(s["actual_s"] is not None and s["actual_s"] >= 0 for s in run["steps"])
    assert run["rollback_drill"] is True and 0 < run["rollback_s"] < run["rto_s"]
    assert run["fingerprint_after"] == run["fingerprint_before"] == before  # the copy was the live ERP's content
    assert run["go_no_go"]["approver"] == APPROVER and run["go_no_go"]["approved"] is True
    assert run["database"] != make_url(env["ERPOPS_DATABASE_URL"]).database
    assert fingerprint(env) == before and run["database"] not in databases(env)  # the live ERP untouched, copy gone

    status = run_erpops("cutover", "status", run["run_id"], "--json", env=env)
    assert status.returncode == 0 and json.loads(status.stdout)["steps"] == run["steps"]
    evidence = run_erpops("evidence", "list", "--prefix", "cutover.", "--json", env=env)
    assert evidence.returncode == 0, evidence.stderr
    values = {e["key"]: e for e in json.loads(evidence.stdout)["evidence"] if e["state"] == "judged"}
    assert values["cutover.rehearsal.passed"]["value"] == 1
    assert values["cutover.rehearsal.passed"]["run_id"] == run["run_id"]
    assert values["cutover.rollback.duration_s"]["value"] == run["rollback_s"]


@pytest.mark.parametrize("step", PRE_SWITCH)  # every step before the switch: each rolls back from a different state
def test_a_rehearsal_failing_before_the_switch_rolls_back_to_the_pre_cutover_fingerprint(
        erp: dict[str, Any], tmp_path: Path, copies: list[str], step: str) -> None:
    env = erp["env"]
    path = runbook(erp, tmp_path)

    code, run, stderr = cutover(env, "rehearse", "--runbook", str(path), "--approve-as", APPROVER,
                                "--fail-at", step, "--keep-copy")
    copies.append(run["database"])

    assert code == 1, stderr
    assert run["status"] == "rolled_back" and run["failed_step"] == step
    assert f"cutover rehearsal rolled_back: step {step} failed: failure drill: --fail-at {step}" in stderr
    statuses = {s["name"]: s["status"] for s in run["steps"]}
    assert statuses[step] == StepStatus.FAILED
    after = PRE_SWITCH[PRE_SWITCH.index(step) + 1:] + ["switch", "post_checks"]
    assert {statuses[s] for s in after} == {"skipped"}
    assert run["fingerprint_after"] == run["fingerprint_before"] and run["rollback_s"] is not None
    copy_env = env | {"ERPOPS_DATABASE_URL": make_url(env["ERPOPS_DATABASE_URL"]).set(
        database=run["database"]).render_as_string(hide_password=False)}
    assert fingerprint(copy_env) == run["fingerprint_before"]
    frozen = run_erpops("freeze", "--status", "--json", env=copy_env)
    assert frozen.returncode == 0, frozen.stderr
    assert json.loads(frozen.stdout)["frozen"] is False


def test_a_failure_after_the_switch_keeps_the_data_and_raises_a_risk(erp: dict[str, Any], tmp_path: Path,
                                                                     copies: list[str]) -> None:
    env = erp["env"]
    path = runbook(erp, tmp_path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["steps"].append({"name": "notify_channels", "title": "Tell the marketplaces", "owner": "刘洋",
                              "kind": "command", "estimate": "5m", "predecessors": ["switch"],
                              "command": "echo 'marketplace API down' >&2; exit 7"})
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    code, run, stderr = cutover(env, "rehearse", "--runbook", str(path), "--approve-as", APPROVER, "--keep-copy")
    copies.append(run["database"])

    assert code == 1, stderr
    assert run["status"] == CutoverStatus.FAILED and run["failed_step"] in {"notify_channels", "post_checks"}
    assert run["switched_at"] is not None and run["rollback_s"] is None  # nothing restored over live orders
    assert "exited 7" in run["reason"]
    copy_env = env | {"ERPOPS_DATABASE_URL": make_url(env["ERPOPS_DATABASE_URL"]).set(
        database=run["database"]).render_as_string(hide_password=False)}
    frozen = run_erpops("freeze", "--status", "--json", env=copy_env)
    assert json.loads(frozen.stdout)["frozen"] is False  # the switch opened writes, and they stay open


def test_a_killed_rehearsal_resumes_from_its_last_finished_step(erp: dict[str, Any], tmp_path: Path) -> None:
    env = erp["env"]
    marker = tmp_path / "export-started"
    path = runbook(erp, tmp_path, export_legacy={"command": f"touch {marker} && sleep 60"})
    proc = subprocess.Popen([ERPOPS, "cutover", "rehearse", "--runbook", str(path), "--approve-as", APPROVER,
                             "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=os.path.dirname(env["ERPOPS_STATE_DIR"]),
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed = json.loads(run_erpops("cutover", "status", "--json", env=env).stdout)
    assert killed["status"] == "running"
    assert {s["name"]: s["status"] for s in killed["steps"]}["export_legacy"] == "running"
    finished_before = {s["name"]: s for s in killed["steps"] if s["status"] == "passed"}
    assert set(finished_before) >= {"readiness", "go_no_go", "freeze"}

    code, run, stderr = cutover(env, "rehearse", "--runbook", str(path), "--resume")

    assert code == 0, stderr
    assert run["run_id"] == killed["run_id"] and run["status"] == "passed"
    again = {s["name"]: s for s in run["steps"]}
    assert all(again[name]["actual_s"] == step["actual_s"] for name, step in finished_before.items())
    assert run["database"] not in databases(env)  # the copy, kept for the resume, is gone once it finished


def test_bad_input_is_one_line(erp: dict[str, Any], tmp_path: Path) -> None:
    env = erp["env"]
    path = runbook(erp, tmp_path)
    cases = [
        (("rehearse", "--runbook", str(path), "--fail-at", "frezee"), "'frezee' is not a step of"),
        (("rehearse", "--runbook", str(path), "--approve-as", "张三"), "'张三' is not the runbook's approver (王芳)"),
        (("run", "--runbook", str(path)), "pass --yes"),
        (("rehearse", "--runbook", str(path), "--resume"), "no unfinished rehearsal of"),
        (("status", "0000dead"), "no cutover run with id '0000dead'"),
    ]
    for args, message in cases:
        done = run_erpops("cutover", *args, env=env, timeout=300)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)


def test_the_go_no_go_pauses_for_the_named_approver_and_refuses_an_empty_or_other_name(
        erp: dict[str, Any], tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env = erp["env"]
    path = runbook(erp, tmp_path)
    proc = subprocess.Popen([ERPOPS, "cutover", "rehearse", "--runbook", str(path), "--approval-timeout", "180",
                             "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=os.path.dirname(env["ERPOPS_STATE_DIR"]), text=True)
    api = f"http://127.0.0.1:{env['ERPOPS_PREFECT_PORT']}/api"
    try:
        with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
            run_id = _paused_run(client, Path(env["ERPOPS_STATE_DIR"]) / "cutovers", str(path), proc)
            # The UI's form requires a name (minLength); the API does not check it, so the flow refuses it.
            for name in ("  ", "张三"):
                pause = client.read_flow_run(run_id).state_id
                refused = client.resume_flow_run(run_id, run_input={"go": True, "approver": name, "note": ""})
                assert refused.status.value == "ACCEPT"
                _paused_again(client, run_id, pause)  # not the runbook's approver: asked again
            signed = client.resume_flow_run(run_id, run_input={"go": True, "approver": APPROVER,
                                                                "note": "test exit signed"})
            assert signed.status.value == "ACCEPT"
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    run = json.loads(out)
    assert run["status"] == "passed" and run["run_id"] == str(run_id)
    assert run["go_no_go"] | {"decided_at": None} == {"approved": True, "approver": APPROVER, "role": "PM",
                                                      "note": "test exit signed", "decided_at": None,
                                                      "how": "Prefect UI form"}


def _paused_run(client: Any, journals: Path, runbook_file: str, proc: subprocess.Popen[str]) -> Any:
    import uuid

    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        for path in journals.glob("*/journal.json"):
            journal = json.loads(path.read_text(encoding="utf-8"))
            if journal["runbook"] == runbook_file and journal["status"] == "running":
                run_id = uuid.UUID(journal["run_id"])
                if client.read_flow_run(run_id).state_type == StateType.PAUSED:
                    return run_id
        time.sleep(1)
    raise AssertionError("the cutover never paused at the go/no-go")


def _paused_again(client: Any, run_id: Any, first_pause: Any) -> None:
    from prefect.client.schemas.objects import StateType

    deadline = time.monotonic() + 60
    while True:
        run = client.read_flow_run(run_id)
        if run.state_type == StateType.PAUSED and run.state_id != first_pause:
            return
        assert time.monotonic() < deadline, "the go/no-go did not ask again"
        time.sleep(0.5)
