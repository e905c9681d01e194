"""The journal of one cutover run: what each step did and when, what was rolled back, and the verdict.

The cutover flow writes it after every step, so a killed cutover resumes from its last finished step and
`erpops cutover status` reads the same numbers the flow's artifact shows. Pure data: no I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from erp_models.cutover.runbook import Runbook


class CutoverMode(StrEnum):
    REHEARSAL = "rehearsal"  # on a copy restored from a fresh backup, ending with a rollback drill
    RUN = "run"  # on the live ERP


class CutoverStatus(StrEnum):
    RUNNING = "running"
    PASSED = "passed"
    ROLLED_BACK = "rolled_back"  # a pre-switch step failed; the pre-cutover backup was restored
    FAILED = "failed"  # a post-switch step failed (nothing restored), or the rollback itself failed


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # not started because an earlier step failed


class StepRecord(BaseModel):
    name: str
    kind: str
    title: str
    owner: str
    estimate_s: float
    predecessors: list[str] = Field(default_factory=list)
    pre_switch: bool
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    detail: str = ""

    @property
    def actual_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)


class GoNoGoRecord(BaseModel):
    approved: bool
    approver: str
    role: str
    note: str = ""
    decided_at: datetime
    how: str  # "Prefect UI form" or "--approve-as on the command line"


class CutoverJournal(BaseModel):
    run_id: str  # the cutover flow run's id
    mode: CutoverMode
    runbook: str
    runbook_sha256: str
    name: str
    rto_s: float
    database: str  # where the steps ran: the live ERP database, or the rehearsal's copy
    started_at: datetime
    finished_at: datetime | None = None
    status: CutoverStatus = CutoverStatus.RUNNING
    steps: list[StepRecord]
    fail_at: str | None = None
    failed_step: str | None = None
    reason: str = ""
    backup_id: str | None = None  # the pre-cutover backup a rollback restores
    source_backup_id: str | None = None  # a rehearsal: the fresh backup of the live ERP its copy was restored from
    delta_run_id: str | None = None  # the final delta's migration run
    fingerprint_before: str | None = None
    fingerprint_after: str | None = None
    rollback_s: float | None = None
    rollback_drill: bool = False  # a rehearsal that passed ends with a full rollback, timed as well
    go_no_go: GoNoGoRecord | None = None
    switched_at: datetime | None = None

    def step(self, name: str) -> StepRecord:
        return next(s for s in self.steps if s.name == name)

    def finished_steps(self) -> set[str]:
        return {s.name for s in self.steps if s.status is StepStatus.PASSED}

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)

    @property
    def switched(self) -> bool:
        return self.switched_at is not None

    def document(self) -> dict[str, object]:
        """The `--json` document of `erpops cutover rehearse|run|status`."""
        return {
            "run_id": self.run_id, "mode": self.mode.value, "status": self.status.value, "name": self.name,
            "runbook": self.runbook, "database": self.database,
            "started_at": self.started_at.isoformat(), "finished_at": self.finished_at.isoformat()
            if self.finished_at else None, "duration_s": self.duration_s,
            "steps": [{"name": s.name, "kind": s.kind, "status": s.status.value, "estimate_s": s.estimate_s,
                       "actual_s": s.actual_s, "pre_switch": s.pre_switch, "detail": s.detail} for s in self.steps],
            "failed_step": self.failed_step, "reason": self.reason, "fail_at": self.fail_at,
            "backup_id": self.backup_id, "source_backup_id": self.source_backup_id,
            "delta_run_id": self.delta_run_id, "fingerprint_before": self.fingerprint_before,
            "fingerprint_after": self.fingerprint_after, "rollback_s": self.rollback_s,
            "rollback_drill": self.rollback_drill, "rto_s": self.rto_s,
            "go_no_go": self.go_no_go.model_dump(mode="json") if self.go_no_go else None,
            "switched_at": self.switched_at.isoformat() if self.switched_at else None,
        }


def new_journal(*, run_id: str, mode: CutoverMode, runbook: Runbook, runbook_file: str, runbook_sha256: str,
                database: str, started_at: datetime, fail_at: str | None) -> CutoverJournal:
    """A journal with every step pending, in execution order."""
    pre_switch = runbook.pre_switch()
    steps = [StepRecord(name=s.name, kind=str(s.kind), title=s.title, owner=s.owner, estimate_s=s.estimate,
                        predecessors=list(s.predecessors), pre_switch=s.name in pre_switch)
             for s in runbook.execution_order()]
    if fail_at is not None and fail_at not in {s.name for s in steps}:
        raise ValueError(f"--fail-at {fail_at!r}: no such step (steps: {', '.join(s.name for s in steps)})")
    return CutoverJournal(run_id=run_id, mode=mode, runbook=runbook_file, runbook_sha256=runbook_sha256,
                          name=runbook.name, rto_s=runbook.rto, database=database, started_at=started_at,
                          steps=steps, fail_at=fail_at)


def drift(current: CutoverJournal, previous: list[CutoverJournal]) -> dict[str, float | None]:
    """Per step: this run's actual seconds minus the mean of the same step's actual seconds in earlier runs of the
    same runbook (None where there is nothing to compare)."""
    out: dict[str, float | None] = {}
    for step in current.steps:
        earlier = [s.actual_s for j in previous for s in j.steps
                   if s.name == step.name and s.status is StepStatus.PASSED and s.actual_s is not None]
        now = step.actual_s
        out[step.name] = round(now - sum(earlier) / len(earlier), 3) if earlier and now is not None else None
    return out


def planned_schedule(steps: Sequence[StepRecord]) -> dict[str, tuple[float, float]]:
    """Per step: its planned start and finish, in seconds from the cutover's start, from the estimates alone.

    A step is planned to start when the last of its predecessors is planned to finish; `steps` come in execution
    order, as a journal holds them, so the last planned finish is the critical path's length."""
    planned: dict[str, tuple[float, float]] = {}
    for step in steps:
        start = max((planned[p][1] for p in step.predecessors if p in planned), default=0.0)
        planned[step.name] = (start, start + step.estimate_s)
    return planned
