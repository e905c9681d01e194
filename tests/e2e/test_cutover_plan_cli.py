"""`erpops cutover plan` as a PM previews the go-live weekend: no stack, no database, just the runbook."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cli import run_erpops

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cutover.yaml"


def test_the_plan_of_the_example_runbook_lists_every_step_in_order(cli_env: dict[str, str]) -> None:
    result = run_erpops("cutover", "plan", "--json", env=cli_env, timeout=60)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert Path(plan["runbook"]) == EXAMPLE
    assert plan["rto_s"] == 1800
    steps = {s["name"]: s for s in plan["steps"]}
    assert [s["name"] for s in plan["steps"]][-2:] == ["switch", "post_checks"]
    assert steps["go_no_go"] == {"name": "go_no_go", "kind": "go_no_go", "owner": "王芳 (PM)", "estimate_s": 1800,
                                 "predecessors": ["readiness"], "pre_switch": True}
    assert not steps["switch"]["pre_switch"] and not steps["post_checks"]["pre_switch"]
    assert plan["critical_path"][0] == "readiness" and plan["critical_path"][-1] == "post_checks"
    assert plan["total_estimate_s"] == sum(s["estimate_s"] for s in plan["steps"])


def test_the_table_shows_the_rollback_coverage_and_the_critical_path(cli_env: dict[str, str]) -> None:
    result = run_erpops("cutover", "plan", "--runbook", str(EXAMPLE), env=cli_env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "critical path (*): readiness -> go_no_go" in result.stdout
    assert "rollback covers the steps before 'switch'" in result.stdout


def test_a_broken_runbook_exits_2_with_one_line_naming_the_place(cli_env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "cutover.yaml"
    text = EXAMPLE.read_text(encoding="utf-8")
    broken.write_text(text.replace("predecessors: [freeze]\n    label", "predecessors: [frezee]\n    label"),
                      encoding="utf-8")
    result = run_erpops("cutover", "plan", "--runbook", str(broken), "--json", env=cli_env, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"erpops: {broken}: steps.3.predecessors: unknown step 'frezee'\n"


def test_noop_prints_the_plan_and_runs_nothing(cli_env: dict[str, str]) -> None:
    for command in ("rehearse", "run"):
        done = run_erpops("cutover", command, "--noop", "--json", env=cli_env)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["critical_path"][0] == "readiness"
        assert not (Path(cli_env["ERPOPS_STATE_DIR"]) / "cutovers").exists()
