"""The cutover's step executors: what each kind of runbook step does when the flow (flows.cutover.flow) runs it.

Each returns the detail the journal keeps, or raises StepFailed with the reason; the go/no-go pauses the flow run
for the approver's form in the Prefect UI.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prefect.input import RunInput
from prefect.settings import PREFECT_API_URL
from pydantic import Field

from erp_models.cutover.journal import (
    CutoverJournal,
    CutoverMode,
    GoNoGoRecord,
)
from erp_models.cutover.steps import (
    BackupStep,
    CommandStep,
    FinalDeltaStep,
    FreezeStep,
    GoNoGoStep,
    PostCheck,
    PostChecksStep,
    ReconcileStep,
    Step,
    StepKind,
)
from flows.decisions import ask_named, pause_key
from flows.load_test import LoadTestParams, run_load_test
from flows.migration import MigrateParams, run_migration
from flows.readiness import check_readiness
from infra.cutover_store import CutoverStore
from infra.settings import get_settings
from tasks.cutover.steps import (
    StepDone,
    StepFailed,
    check_milestones,
    freeze_writes,
    now,
    post_check_invariants,
    reconcile_delta,
    run_command,
    smoke,
    switch_over,
    take_backup,
    take_fingerprint,
    unfinished_delta,
)

if TYPE_CHECKING:
    from flows.cutover.flow import CutoverParams

class GoNoGo(RunInput):
    """The form the Prefect UI shows at the go/no-go."""

    go: bool = Field(description="Go (untick for no-go)")
    # Required, with minLength 1 in the form's schema; the flow refuses an empty or other name (flows.decisions).
    approver: str = Field(description="Your name: the runbook's approver signs off",
                          json_schema_extra={"minLength": 1})
    note: str = Field(default="", description="Why, or on what condition")


def run_step(step: Step, journal: CutoverJournal, runbook_file: Path, url: str, params: CutoverParams, *,
              resumed: bool) -> str:
    actor = f"cutover {journal.run_id[:8]}"
    run_dir = CutoverStore.from_settings(get_settings()).run_dir(journal.run_id)
    run_name = f"{step.kind}[{step.name}]"
    done: StepDone
    match step:
        case _ if step.kind is StepKind.READINESS:
            report = check_readiness(api_url=PREFECT_API_URL.value() or "", state_dir=get_settings().state_dir)
            failing = [f"{c.check}: {c.detail}" for c in report.checks if not c.ok]
            if failing:
                raise StepFailed("not ready: " + "; ".join(failing))
            return f"{len(report.checks)} readiness checks passed"
        case GoNoGoStep():
            return _go_no_go(step, journal, url, params)
        case FreezeStep():
            done = freeze_writes.with_options(task_run_name=run_name)(url, step, actor)
        case BackupStep():
            done = take_backup.with_options(task_run_name=run_name)(url, step)
            journal.backup_id, journal.fingerprint_before = done.backup_id, done.fingerprint
        case FinalDeltaStep():
            return _final_delta(step, journal, runbook_file, url, resumed=resumed)
        case ReconcileStep():
            if journal.delta_run_id is None:
                raise StepFailed("no final delta ran before the reconciliation gate")
            done = reconcile_delta.with_options(task_run_name=run_name)(url, step, journal.delta_run_id)
        case _ if step.kind is StepKind.SMOKE:
            done = smoke.with_options(task_run_name=run_name)(url, str(run_dir))
        case _ if step.kind is StepKind.SWITCH:
            done = switch_over.with_options(task_run_name=run_name)(url, actor)
            journal.switched_at = now()
        case PostChecksStep():
            return _post_checks(step, journal, url)
        case CommandStep():
            cwd = str(runbook_file.resolve().parent)
            done = run_command.with_options(task_run_name=run_name)(url, step, cwd, str(run_dir / f"{step.name}.log"))
        case _:
            raise StepFailed(f"no executor for kind {step.kind}")
    return done.detail


def _go_no_go(step: GoNoGoStep, journal: CutoverJournal, url: str, params: CutoverParams) -> str:
    """The named milestones must have passed (a rehearsal notes it instead), then the approver signs off."""
    open_ = check_milestones.with_options(task_run_name=f"go_no_go[{step.name}]")(url, step)
    note = ""
    if open_ and journal.mode is CutoverMode.RUN:
        raise StepFailed("no-go: " + "; ".join(open_))
    if open_:
        note = "rehearsal goes on, but a run would stop here (no-go): " + "; ".join(open_) + ". "
    if journal.go_no_go is not None and journal.go_no_go.approved:  # decided before a resume
        return note + f"go by {journal.go_no_go.approver} (decided before the resume)"
    expected = step.approver.name
    if params.approve_as is not None:
        if params.approve_as.strip() != expected:
            raise StepFailed(f"--approve-as {params.approve_as!r}: the runbook names {expected!r} as the approver")
        journal.go_no_go = GoNoGoRecord(approved=True, approver=expected, role=step.approver.role,
                                        note="signed off on the command line", decided_at=now(),
                                        how="--approve-as on the command line")
        return note + f"go by {expected} ({step.approver.role}) on the command line"
    answer = _ask(step, journal, note, params.approval_timeout_s)
    journal.go_no_go = GoNoGoRecord(approved=answer.go, approver=answer.approver.strip(), role=step.approver.role,
                                    note=answer.note, decided_at=now(), how="Prefect UI form")
    if not answer.go:
        raise StepFailed(f"no-go by {answer.approver}" + (f": {answer.note}" if answer.note else ""))
    return note + f"go by {answer.approver} ({step.approver.role})" + (f": {answer.note}" if answer.note else "")


def _ask(step: GoNoGoStep, journal: CutoverJournal, note: str, timeout_s: int) -> GoNoGo:
    expected = step.approver.name
    print(f"go/no-go: waiting for {expected} ({step.approver.role}) to decide in the Prefect UI "
          f"(resume this flow run; {timeout_s} s)")
    decision = ask_named(GoNoGo, description=f"## Go/no-go: {journal.name}\n\nOnly **{expected}** "
                                             f"({step.approver.role}) may decide. Milestones "
                                             f"{', '.join(step.milestones)}. {note}",
                         initial={"go": True}, name_of=lambda a: a.approver, expected=expected,
                         key=pause_key("go-no-go", step.name), timeout_s=timeout_s)
    if decision.answer is None:
        raise StepFailed(f"no-go: {decision.why_none} (only {expected} may decide)")
    return decision.answer


def _final_delta(step: FinalDeltaStep, journal: CutoverJournal, runbook_file: Path, url: str, *,
                 resumed: bool) -> str:
    mapping = step.mapping_path(runbook_file)
    if not mapping.is_file():
        raise StepFailed(f"mapping {mapping} not found")
    out_dir = str(CutoverStore.from_settings(get_settings()).run_dir(journal.run_id) / "migration")
    resume = resumed and unfinished_delta(url, str(mapping))
    outcome = run_migration(MigrateParams(mapping=str(mapping), delta=not resume, resume=resume, out_dir=out_dir))
    journal.delta_run_id = str(outcome.run_id)
    if outcome.status != "passed":
        raise StepFailed(f"the final delta (migration run {outcome.run_id}) ended {outcome.status}")
    counts = {name: sum(getattr(e, name) for e in outcome.entities)
              for name in ("inserted", "updated", "unchanged", "skipped", "quarantined")}
    return (f"migration run {outcome.run_id}: {counts['inserted']} rows inserted, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['skipped']} skipped as older than the watermark, "
            f"{counts['quarantined']} quarantined")


def _post_checks(step: PostChecksStep, journal: CutoverJournal, url: str) -> str:
    done = []
    for check in step.checks:
        if check is PostCheck.DB_CHECK:
            done.append(post_check_invariants(url).detail)
        elif check is PostCheck.FINGERPRINT:
            journal.fingerprint_after = take_fingerprint(url)
            done.append(f"fingerprint {journal.fingerprint_after} recorded as the go-live baseline")
        elif check is PostCheck.SMOKE_LOAD:
            state, outcome = run_load_test(LoadTestParams(out_dir=str(get_settings().state_dir / "loadtests")))
            if outcome is None or not state.is_completed():
                raise StepFailed("smoke load failed" + (f": {outcome.reason}" if outcome and outcome.reason else
                                                        f" ({state.message})"))
            done.append(f"smoke load passed (load-test run {outcome.run_id})")
    return "; ".join(done)
