"""The cutover's pure decisions: the reconciliation gate over a delta run, the journal, and the evidence it leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from erp_models.cutover.journal import (
    CutoverMode,
    CutoverStatus,
    GoNoGoRecord,
    StepStatus,
    drift,
    new_journal,
)
from erp_models.cutover.runbook import load_runbook
from erp_models.cutover.steps import ReconcileThresholds
from erp_models.cutover.verdicts import cutover_evidence, judge_delta

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cutover.yaml"
T0 = datetime(2027, 4, 24, 22, 0, tzinfo=UTC)


def entity(name: str, read: int, quarantined: int = 0, skipped: int = 0, differences: list[str] | None = None) -> dict:
    return {"entity": name, "read": read, "skipped": skipped, "quarantined": quarantined,
            "reconciliation": {"ok": not differences, "differences": differences or []}}


def test_a_clean_delta_passes_the_gate_and_counts_only_rows_it_did_not_skip() -> None:
    verdict = judge_delta("passed", [entity("orders", 120, quarantined=1, skipped=20), entity("lines", 300)],
                          ReconcileThresholds(max_difference=0, max_quarantine_rate=0.005))
    assert verdict.ok and verdict.read == 400 and verdict.quarantined == 1
    assert verdict.quarantine_rate == pytest.approx(0.0025)


def test_the_gate_names_each_broken_threshold() -> None:
    orders = entity("orders", 100, quarantined=3, differences=["sum of total: source 5, ERP 4"])
    verdict = judge_delta("failed", [orders], ReconcileThresholds(max_difference=0, max_quarantine_rate=0.01))
    assert not verdict.ok
    assert verdict.reason == (
        "the final delta run ended failed; 1 reconciliation difference(s), at most 0 allowed: orders: sum of total: "
        "source 5, ERP 4; quarantine rate 0.0300 (3 of 100 rows) above 0.01")


def test_a_difference_within_the_runbooks_allowance_passes() -> None:
    verdict = judge_delta("passed", [entity("orders", 10, differences=["content differs for legacy key 7"])],
                          ReconcileThresholds(max_difference=1))
    assert verdict.ok and verdict.differences == ["orders: content differs for legacy key 7"]


def journal(mode: CutoverMode = CutoverMode.REHEARSAL, fail_at: str | None = None):  # type: ignore[no-untyped-def]
    runbook, sha = load_runbook(EXAMPLE)
    return new_journal(run_id="00000000-0000-0000-0000-000000000001", mode=mode, runbook=runbook,
                       runbook_file=str(EXAMPLE), runbook_sha256=sha, database="erp", started_at=T0, fail_at=fail_at)


def test_a_new_journal_lists_every_step_pending_in_execution_order_and_marks_the_pre_switch_ones() -> None:
    j = journal()
    assert [s.name for s in j.steps] == ["readiness", "go_no_go", "freeze", "backup", "export_legacy", "final_delta",
                                        "reconcile", "smoke", "switch", "post_checks"]
    assert {s.status for s in j.steps} == {StepStatus.PENDING}
    assert [s.name for s in j.steps if not s.pre_switch] == ["switch", "post_checks"]
    with pytest.raises(ValueError, match="--fail-at 'frezee': no such step"):
        journal(fail_at="frezee")


def test_drift_compares_each_step_with_the_mean_of_earlier_runs() -> None:
    def timed(seconds: float):  # type: ignore[no-untyped-def]
        j = journal()
        for step in j.steps:
            step.status, step.started_at = StepStatus.PASSED, T0
            step.finished_at = T0 + timedelta(seconds=seconds)
        return j

    now = timed(12)
    now.steps[0].status, now.steps[0].finished_at = StepStatus.FAILED, T0 + timedelta(seconds=1)
    assert drift(now, [timed(8), timed(10)])["backup"] == pytest.approx(3.0)
    assert drift(now, [])["backup"] is None


def test_a_passed_rehearsal_counts_itself_and_records_its_rollback_drill_against_the_rto() -> None:
    j = journal()
    j.status, j.finished_at, j.rollback_s = CutoverStatus.PASSED, T0 + timedelta(seconds=95), 12.5
    j.go_no_go = GoNoGoRecord(approved=True, approver="王芳", role="PM", decided_at=T0, how="test")
    assert cutover_evidence(j, passed_before=1) == {
        "cutover.rehearsal.passed": 1.0, "cutover.rehearsals.passed": 2.0, "cutover.rehearsal.duration_s": 95.0,
        "cutover.rollback.duration_s": 12.5, "cutover.rollback.within_rto": 1.0, "cutover.go_no_go.approved": 1.0}


def test_a_rolled_back_run_records_its_verdict_and_its_rollback_time() -> None:
    j = journal(CutoverMode.RUN)
    j.status, j.finished_at, j.rollback_s = CutoverStatus.ROLLED_BACK, T0 + timedelta(seconds=60), 2000.0
    assert cutover_evidence(j, passed_before=3) == {
        "cutover.run.passed": 0.0, "cutover.run.duration_s": 60.0, "cutover.rollback.duration_s": 2000.0,
        "cutover.rollback.within_rto": 0.0}
