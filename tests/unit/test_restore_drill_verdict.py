"""The restore drill's verdict: every way a drill fails, and the evidence each leaves."""

from __future__ import annotations

from erp_models.ops.restore_drill import DrillFigures, judge_drill
from erp_models.project.criteria import is_known_key


def restored(**changes: object) -> DrillFigures:
    base = DrillFigures(database="erp", backup_id="b1", newest_backup_id="b1", rpo_s=120.0, rto_s=3.5,
                        expected_fingerprint="abc", fingerprint="abc")
    return base.model_copy(update=changes)


def test_a_matching_restore_without_violations_passes_with_rto_and_rpo_as_evidence() -> None:
    verdict = judge_drill(restored())
    assert verdict.ok and verdict.reasons == []
    assert verdict.evidence == {"ops.restore_drill.ok": 1.0, "ops.restore_drill.rto_s": 3.5,
                                "ops.restore_drill.rpo_s": 120.0}
    assert all(is_known_key(k) for k in verdict.evidence)


def test_no_backup_at_all_fails_and_says_how_to_make_one() -> None:
    verdict = judge_drill(DrillFigures(database="erp"))
    assert not verdict.ok and "erpops backup create" in verdict.reason
    assert verdict.evidence == {"ops.restore_drill.ok": 0.0}


def test_a_restore_error_a_fingerprint_mismatch_and_violations_each_fail_the_drill() -> None:
    assert "did not restore" in judge_drill(restored(restore_error="pg_restore failed", rto_s=None)).reason
    assert "not the abc recorded" in judge_drill(restored(fingerprint="xyz")).reason
    violated = judge_drill(restored(violations=["ledger_mismatch (1)"]))
    assert "violates invariants: ledger_mismatch (1)" in violated.reason
    assert "cannot be compared" in judge_drill(restored(expected_fingerprint=None)).reason


def test_a_backup_older_than_the_rpo_limit_fails_even_when_it_restores() -> None:
    verdict = judge_drill(restored(rpo_s=100_000.0, max_rpo_s=90_000.0))
    assert not verdict.ok and verdict.reasons == ["the newest backup is 100000 s old, over the RPO limit of 90000 s"]
    assert judge_drill(restored(rpo_s=100.0, max_rpo_s=90_000.0)).ok
