"""What the cutover's gates decide: the final delta's reconciliation against the runbook's thresholds, and the
evidence a cutover leaves for the go-live milestone. Pure functions, and one count read from the evidence store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp_models.cutover.journal import CutoverJournal, CutoverMode, CutoverStatus
from erp_models.cutover.steps import ReconcileThresholds
from erp_models.project.tracking import Evidence

REHEARSAL_PASSED = "cutover.rehearsal.passed"


@dataclass(frozen=True)
class DeltaVerdict:
    ok: bool
    differences: list[str]
    read: int
    quarantined: int
    reason: str

    @property
    def quarantine_rate(self) -> float:
        return self.quarantined / self.read if self.read else 0.0


def judge_delta(status: str, entities: Sequence[Mapping[str, Any]], thresholds: ReconcileThresholds) -> DeltaVerdict:
    """The reconciliation gate over a delta run's per-entity results (`EntityResult` dumps): the run passed, at
    most `max_difference` reconciliation differences, and a quarantine rate within `max_quarantine_rate`."""
    differences = [f"{e['entity']}: {d}" for e in entities for d in (e.get("reconciliation") or {}).get("differences",
                                                                                                         [])]
    read = sum(int(e.get("read", 0)) - int(e.get("skipped", 0)) for e in entities)
    quarantined = sum(int(e.get("quarantined", 0)) for e in entities)
    verdict = DeltaVerdict(ok=True, differences=differences, read=read, quarantined=quarantined, reason="")
    problems = []
    if status != "passed":
        problems.append(f"the final delta run ended {status}")
    if len(differences) > thresholds.max_difference:
        problems.append(f"{len(differences)} reconciliation difference(s), at most {thresholds.max_difference} "
                        f"allowed: {'; '.join(differences[:3])}")
    if thresholds.max_quarantine_rate is not None and verdict.quarantine_rate > thresholds.max_quarantine_rate:
        problems.append(f"quarantine rate {verdict.quarantine_rate:.4f} ({quarantined} of {read} rows) above "
                        f"{thresholds.max_quarantine_rate}")
    if problems:
        return DeltaVerdict(ok=False, differences=differences, read=read, quarantined=quarantined,
                            reason="; ".join(problems))
    return verdict


def passed_rehearsals(session: Session) -> int:
    """How many rehearsals passed, by the evidence each recorded (withdrawn values do not count)."""
    return int(session.scalar(select(func.count(func.distinct(Evidence.run_id))).where(
        Evidence.key == REHEARSAL_PASSED, Evidence.value == 1, Evidence.withdrawn_at.is_(None))) or 0)


def cutover_evidence(journal: CutoverJournal, *, passed_before: int) -> dict[str, float]:
    """The values a finished cutover records (scope `cutover/<mode>`, its run id):

    - a rehearsal: `cutover.rehearsal.passed` (1/0), `cutover.rehearsal.duration_s`, and
      `cutover.rehearsals.passed`, the number of passed rehearsals including this one;
    - a run: `cutover.run.passed` (1/0) and `cutover.run.duration_s`;
    - both: `cutover.rollback.duration_s` when a rollback (or a rehearsal's rollback drill) ran: the measured RTO,
      `cutover.rollback.within_rto` (1/0), and `cutover.go_no_go.approved` (1/0) when the go/no-go was decided.
    """
    passed = journal.status is CutoverStatus.PASSED
    values: dict[str, float] = {}
    if journal.mode is CutoverMode.REHEARSAL:
        values[REHEARSAL_PASSED] = float(passed)
        values["cutover.rehearsals.passed"] = float(passed_before + passed)
        if journal.duration_s is not None:
            values["cutover.rehearsal.duration_s"] = journal.duration_s
    else:
        values["cutover.run.passed"] = float(passed)
        if journal.duration_s is not None:
            values["cutover.run.duration_s"] = journal.duration_s
    if journal.rollback_s is not None:
        values["cutover.rollback.duration_s"] = journal.rollback_s
        values["cutover.rollback.within_rto"] = float(journal.rollback_s <= journal.rto_s)
    if journal.go_no_go is not None:
        values["cutover.go_no_go.approved"] = float(journal.go_no_go.approved)
    return values
