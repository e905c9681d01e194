"""What a migration run leaves for milestone gates: its measurements under its run id and mapping, and their
withdrawal when the run is undone. The rule for which runs count is the domain's (`run_counts`)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from erp_models.enums import CheckpointPhase, MigrationRunStatus
from erp_models.migration import runs
from erp_models.project.evidence import record_evidence, run_counts, withdraw_evidence

if TYPE_CHECKING:
    from erp_models.migration.service.results import EntityResult, RunPlan


def record_run_evidence(session: Session, plan: RunPlan, status: str, results: list[EntityResult],
                        flow_run: str) -> None:
    """The run's measurements; they count for gates only if the run passed or loaded something."""
    evidence: dict[str, float] = {"migration.run.passed": 1.0 if status == MigrationRunStatus.PASSED else 0.0}
    for r in results:
        evidence |= {f"migration.{r.entity}.quarantine_rate": r.quarantine_rate,
                     f"migration.{r.entity}.read": float(r.read), f"migration.{r.entity}.loaded": float(r.loaded),
                     f"migration.{r.entity}.reconciled": 1.0 if (r.reconciliation or {}).get("ok") else 0.0}
    # A crashed run reports no results: its committed batches say what it loaded (a resume adds to them).
    committed = sum(batch["loaded"] for name in plan.order for batch in runs.done_batches(
        session, run_id=plan.run_id, entity=name, phase=CheckpointPhase.LOADED).values())
    loaded = max(sum(r.loaded for r in results), committed)
    record_evidence(session, source=f"migration run {plan.run_id} (flow run {flow_run})", values=evidence,
                    detail={"mapping": plan.mapping_name, "status": status, "mode": plan.mode, "loaded": loaded},
                    run_id=plan.run_id, scope=plan.mapping_name,
                    counts=run_counts(passed=status == MigrationRunStatus.PASSED, loaded_rows=loaded))


def withdraw_run_evidence(session: Session, run_id: uuid.UUID, by: str) -> int:
    """After an undo (by `by`): the run's evidence stays listed, and gates judge the run before it again."""
    return withdraw_evidence(session, run_id=run_id, by=by, reason=f"migration run {run_id} was undone")
