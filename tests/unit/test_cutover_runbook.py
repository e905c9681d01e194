"""The cutover runbook: a broken file is refused in one line naming the place; order and critical path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from erp_models.cutover.runbook import Runbook, RunbookError, load_runbook
from erp_models.cutover.steps import FinalDeltaStep, StepKind

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cutover.yaml"
Edit = Callable[[dict[str, Any]], None]


def step_named(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in doc["steps"] if s["name"] == name)


def refusal(tmp_path: Path, edit: Edit) -> str:
    doc = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    edit(doc)
    path = tmp_path / "cutover.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_the_example_runbook_is_valid_and_uses_every_built_in_kind() -> None:
    runbook, _ = load_runbook(EXAMPLE)
    assert {s.kind for s in runbook.steps} == set(StepKind)
    assert runbook.rto == 1800


def test_the_example_final_delta_points_at_a_mapping_that_exists() -> None:
    runbook, _ = load_runbook(EXAMPLE)
    delta = next(s for s in runbook.steps if isinstance(s, FinalDeltaStep))
    assert delta.mapping_path(EXAMPLE).is_file()


def test_steps_run_in_dependency_order_and_ties_keep_the_file_order() -> None:
    runbook, _ = load_runbook(EXAMPLE)
    assert [s.name for s in runbook.execution_order()] == [
        "readiness", "go_no_go", "freeze", "backup", "export_legacy", "final_delta", "reconcile", "smoke", "switch",
        "post_checks"]


def test_the_critical_path_follows_the_longest_estimates() -> None:
    runbook, _ = load_runbook(EXAMPLE)
    path = runbook.critical_path()
    assert "backup" not in path  # 20m in parallel with the 25m legacy export
    assert path[:5] == ["readiness", "go_no_go", "freeze", "export_legacy", "final_delta"]
    assert runbook.total_estimate() == 190 * 60


def test_the_rollback_covers_exactly_the_steps_before_the_switch() -> None:
    runbook, _ = load_runbook(EXAMPLE)
    assert runbook.pre_switch() == {"readiness", "go_no_go", "freeze", "backup", "export_legacy", "final_delta",
                                    "reconcile", "smoke"}


def test_order_with_parallel_branches_is_stable_by_file_order() -> None:
    steps = [
        {"name": "b1", "kind": "backup", "title": "t", "owner": "o", "estimate": 60, "predecessors": ["f"]},
        {"name": "f", "kind": "freeze", "title": "t", "owner": "o", "estimate": "90s"},
        {"name": "c", "kind": "command", "title": "t", "owner": "o", "estimate": "1m30s", "command": "true",
         "predecessors": ["f"]},
        {"name": "s", "kind": "switch", "title": "t", "owner": "o", "estimate": 1, "predecessors": ["c", "b1"]},
    ]
    runbook = Runbook.model_validate({"name": "r", "rto": "10m", "steps": steps})
    assert [s.name for s in runbook.execution_order()] == ["f", "b1", "c", "s"]
    assert runbook.critical_path() == ["f", "c", "s"]


def _add(**step: Any) -> Edit:
    return lambda doc: doc["steps"].append({"title": "t", "owner": "o", "estimate": 60,
                                            "predecessors": ["post_checks"], **step})


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: step_named(d, "backup").update(predecessors=["frezee"]),
     "steps.3.predecessors: unknown step 'frezee'"),
    (lambda d: step_named(d, "backup").update(predecessors=["freeze", "backup"]),
     "steps.3.predecessors: step 'backup' cannot follow itself"),
    (lambda d: step_named(d, "readiness").update(predecessors=["smoke"]),
     "steps.0.predecessors: cycle: readiness -> go_no_go -> freeze -> "),
    (lambda d: step_named(d, "backup").update(name="freeze"),
     "steps.3.name: step 'freeze' is listed twice (first at steps.2)"),
    (lambda d: step_named(d, "switch").update(kind="command", command="true"), "steps: no switch step"),
    (_add(name="switch_2", kind="switch"), "steps.10.kind: a second switch step (the first is 'switch')"),
    (lambda d: step_named(d, "go_no_go")["approver"].update(name=""), "steps.1.go_no_go.approver.name: String"),
    (lambda d: step_named(d, "go_no_go")["approver"].update(name="  "), "steps.1.go_no_go.approver.name: String"),
    (lambda d: step_named(d, "go_no_go").pop("approver"), "steps.1.go_no_go.approver: Field required"),
    (lambda d: step_named(d, "go_no_go").update(milestones=[]), "steps.1.go_no_go.milestones: List should have"),
    (lambda d: step_named(d, "backup").update(estimate="half an hour"),
     "steps.3.backup.estimate: 'half an hour' is not a duration"),
    (lambda d: d.update(rto="soon"), "rto: 'soon' is not a duration"),
    (lambda d: step_named(d, "backup").update(estimate=0), "steps.3.backup.estimate: Input should be greater than 0"),
    (lambda d: step_named(d, "backup").update(kind="snapshot"), "steps.3: unknown kind 'snapshot' (kinds: readiness,"),
    (lambda d: step_named(d, "backup").pop("kind"), "steps.3: a step needs a kind"),
    (lambda d: step_named(d, "backup").update(retention=3), "steps.3.backup.retention: Extra inputs are not permitted"),
    (lambda d: d.update(owner="x"), "owner: Extra inputs are not permitted"),
    (lambda d: step_named(d, "post_checks").update(checks=["vibes"]), "steps.9.post_checks.checks.0: Input should be"),
    (lambda d: step_named(d, "export_legacy").update(command=" "), "steps.4.command.command: String should match"),
    (lambda d: step_named(d, "reconcile")["thresholds"].update(max_difference=-1),
     "steps.6.reconcile.thresholds.max_difference: Input should be greater than or equal to 0"),
    (lambda d: step_named(d, "freeze").update(predecessors=["backup"]) or step_named(d, "backup").update(
        predecessors=["go_no_go"]), "steps.3.predecessors: backup 'backup' must follow the freeze 'freeze'"),
    (lambda d: step_named(d, "post_checks").update(predecessors=["smoke"]),
     "steps.9.predecessors: step 'post_checks' is neither before nor after the switch 'switch'"),
    (lambda d: step_named(d, "smoke").update(predecessors=["switch"]) or step_named(d, "switch").update(
        predecessors=["reconcile"]), "steps.7.kind: a smoke step must come before the switch 'switch'"),
    (lambda d: d["steps"].insert(0, {"name": "early", "kind": "post_checks", "title": "t", "owner": "o",
                                     "estimate": 1}) or step_named(d, "readiness").update(predecessors=["early"]),
     "steps.0.kind: a post_checks step must come after the switch 'switch'"),
    (lambda d: d["steps"].remove(step_named(d, "backup")) or step_named(d, "final_delta").update(
        predecessors=["export_legacy"]), "steps: no backup step before the switch"),
])
def test_a_broken_runbook_is_refused_in_one_line_naming_the_place(tmp_path: Path, edit: Edit, expected: str) -> None:
    assert refusal(tmp_path, edit).startswith(expected)


def test_a_missing_runbook_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(RunbookError, match="runbook not found"):
        load_runbook(tmp_path / "nope.yaml")
