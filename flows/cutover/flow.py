"""Go-live: the cutover runbook as a flow, rehearsed on a copy or run on the live ERP, with its rollback.

The steps run in the runbook's execution order, each timed and journalled (infra.cutover_store) before the next
starts, so `--resume` continues a killed cutover from its last finished step. A failure before the switch rolls
back: the pre-cutover backup is restored (when it was taken) and writes are opened again, and the fingerprint is
compared with the pre-cutover one. A failure after the switch restores nothing over live orders: it raises a risk
and an event, and the run fails. A rehearsal works on a database restored from a fresh backup of the live ERP and,
when every step passed, ends with a timed rollback drill. A negative verdict ends the flow run Failed with its
reason; the cutover's evidence goes to the live ERP for milestone M7.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, runtime, tags
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.events import emit_event
from prefect.states import Completed, Failed
from pydantic import BaseModel, Field
from sqlalchemy.engine import make_url

from erp_models.cutover.journal import (
    CutoverJournal,
    CutoverMode,
    CutoverStatus,
    StepStatus,
    new_journal,
)
from erp_models.cutover.runbook import Runbook, load_runbook
from flows.cutover.executors import run_step
from infra.cutover_store import CutoverStore
from infra.errors import ErpopsError
from infra.settings import get_settings
from infra.stack import database_url, using_database
from tasks.cutover.report import cutover_gantt_png, cutover_markdown, cutover_step_rows
from tasks.cutover.steps import (
    StepFailed,
    copy_for_rehearsal,
    drop_rehearsal_copy,
    now,
    raise_go_live_risk,
    record_cutover_evidence,
    roll_back,
    save_journal,
    take_fingerprint,
)


class CutoverParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    runbook: str = Field(default="examples/cutover.yaml", description="The runbook YAML file")
    mode: CutoverMode = Field(default=CutoverMode.REHEARSAL,
                              description="rehearsal (on a copy, ends with a rollback drill) or run (the live ERP)")
    fail_at: str | None = Field(default=None, description="Rehearsals only: fail at this step, to practise rollback")
    resume: bool = Field(default=False, description="Continue the newest unfinished cutover of this runbook and mode")
    approve_as: str | None = Field(default=None, description="Sign the go/no-go off as this person (the runbook's "
                                   "approver) without pausing; empty: pause for the sign-off in the Prefect UI")
    approval_timeout_s: int = Field(default=3600, ge=1, description="How long the go/no-go waits for a sign-off")
    keep_copy: bool = Field(default=False, description="Rehearsals: keep the copy afterwards, for inspection")


class CutoverOutcome(BaseModel):
    journal: CutoverJournal
    flow_run_id: str


def _run_name() -> str:
    raw = runtime.flow_run.parameters.get("params")
    params: dict[str, Any] = raw if isinstance(raw, dict) else raw.model_dump() if raw is not None else {}
    mode = params.get("mode") or CutoverMode.REHEARSAL
    fail = f"/fail-at-{params['fail_at']}" if params.get("fail_at") else ""
    return f"cutover/{CutoverMode(mode).value}/{date.today().isoformat()}{fail}"


def _start(params: CutoverParams, runbook: Runbook, sha256: str, flow_run: str) -> CutoverJournal:
    store = CutoverStore.from_settings(get_settings())
    if params.resume:
        found = store.unfinished(params.runbook, params.mode)
        if found is None:
            raise ErpopsError(f"no unfinished {params.mode.value} of {params.runbook} to resume")
        if found.runbook_sha256 != sha256:
            raise ErpopsError(f"{params.runbook} changed since cutover {found.run_id} started; it cannot resume: "
                             "start a new cutover")
        print(f"resuming cutover {found.run_id} after {', '.join(sorted(found.finished_steps())) or 'no step'}")
        return found
    live = make_url(database_url())
    if params.fail_at is not None and params.fail_at not in {s.name for s in runbook.steps}:
        raise ErpopsError(f"--fail-at {params.fail_at!r}: {params.runbook} has no such step (steps: "
                          f"{', '.join(s.name for s in runbook.execution_order())})")
    return new_journal(run_id=flow_run, mode=params.mode, runbook=runbook, runbook_file=params.runbook,
                       runbook_sha256=sha256, database=live.database or "", started_at=now(),
                       fail_at=params.fail_at)


@flow(name="cutover", flow_run_name=_run_name, log_prints=True)
def cutover(params: CutoverParams) -> CutoverOutcome | State:
    """Run the go-live runbook (or rehearse it on a copy), roll back on a failure before the switch."""
    flow_run = str(runtime.flow_run.id)
    if params.fail_at and params.mode is CutoverMode.RUN:
        raise ErpopsError("--fail-at is for rehearsals only: it never fails a live cutover on purpose")
    runbook_file = Path(params.runbook)
    runbook, sha256 = load_runbook(runbook_file)
    journal = _start(params, runbook, sha256, flow_run)
    live_url = database_url()
    target_url = live_url
    if journal.mode is CutoverMode.REHEARSAL:
        if journal.source_backup_id is None:
            target_url, journal.source_backup_id = copy_for_rehearsal(live_url)
            journal.database = make_url(target_url).database or ""
            save_journal(journal)
        else:
            target_url = make_url(live_url).set(database=journal.database).render_as_string(hide_password=False)
        print(f"rehearsing on {journal.database}, restored from backup {journal.source_backup_id}")
    try:
        with using_database(target_url):
            if journal.fingerprint_before is None:
                journal.fingerprint_before = take_fingerprint(target_url)
                save_journal(journal)
            _run_steps(journal, runbook, runbook_file, target_url, params)
            _finish(journal, target_url)
    finally:
        if journal.mode is CutoverMode.REHEARSAL and journal.status is not CutoverStatus.RUNNING \
                and not params.keep_copy:
            drop_rehearsal_copy(target_url)
    evidence = record_cutover_evidence(live_url, journal)
    if journal.status is CutoverStatus.FAILED and journal.switched:
        journal.reason += _raised(raise_go_live_risk(live_url, journal), journal)
        save_journal(journal)
    _publish(journal, evidence)
    outcome = CutoverOutcome(journal=journal, flow_run_id=flow_run)
    verdict = f"cutover {journal.mode.value} {journal.status.value}"
    print(verdict + (f": {journal.reason}" if journal.reason else ""))
    if journal.status is CutoverStatus.PASSED:
        return Completed(message=verdict, data=outcome)
    return Failed(message=f"{verdict}: {journal.reason}", data=outcome)


def _raised(risk: str | None, journal: CutoverJournal) -> str:
    emit_event(event="erpops.cutover.post_check.failed",
               resource={"prefect.resource.id": f"erpops.erp.{journal.database}", "prefect.resource.name":
                         journal.database},
               payload={"run_id": journal.run_id, "step": journal.failed_step, "reason": journal.reason})
    return f"; risk {risk} raised" if risk else "; no plan loaded, so no risk was raised"


def _run_steps(journal: CutoverJournal, runbook: Runbook, runbook_file: Path, url: str,
               params: CutoverParams) -> None:
    by_name = {s.name: s for s in runbook.steps}
    for record in journal.steps:
        if record.status is StepStatus.PASSED:
            continue
        if journal.failed_step is not None:
            record.status = StepStatus.SKIPPED
            continue
        step = by_name[record.name]
        resumed = record.status is StepStatus.RUNNING
        record.status, record.started_at, record.finished_at, record.detail = StepStatus.RUNNING, now(), None, ""
        save_journal(journal)
        try:
            record.detail = run_step(step, journal, runbook_file, url, params, resumed=resumed)
            if params.fail_at == step.name:
                raise StepFailed(f"failure drill: --fail-at {step.name}")
            record.status = StepStatus.PASSED
        except Exception as exc:  # any failure of a step is the cutover's failure: journal it, then roll back
            record.status, journal.failed_step = StepStatus.FAILED, step.name
            journal.reason = f"step {step.name} failed: {_one_line(exc)}"
            record.detail = (record.detail + "; " if record.detail else "") + _one_line(exc)
            print(journal.reason)
        record.finished_at = now()
        save_journal(journal)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _finish(journal: CutoverJournal, url: str) -> None:
    """The verdict; a rollback after a pre-switch failure, or a rehearsal's rollback drill."""
    failed = journal.step(journal.failed_step) if journal.failed_step else None
    drill = failed is None and journal.mode is CutoverMode.REHEARSAL
    if failed is not None and not failed.pre_switch:
        journal.status = CutoverStatus.FAILED  # after the switch: live orders stay
    elif failed is not None or drill:
        done = roll_back(url, journal.backup_id, f"cutover {journal.run_id[:8]} rollback")
        journal.rollback_s, journal.rollback_drill = done.duration_s, drill
        journal.fingerprint_after = done.fingerprint
        restored = done.fingerprint == journal.fingerprint_before
        if not restored:
            journal.status = CutoverStatus.FAILED
            journal.reason = ((journal.reason + "; ") if journal.reason else "") + (
                f"the rollback left fingerprint {done.fingerprint}, not the pre-cutover {journal.fingerprint_before}")
        elif drill:
            journal.status = CutoverStatus.PASSED
        else:
            journal.status = CutoverStatus.ROLLED_BACK
            journal.reason += f"; rolled back in {done.duration_s:g} s, fingerprint equals the pre-cutover one"
    else:
        journal.status = CutoverStatus.PASSED
    journal.finished_at = now()
    save_journal(journal)


def _publish(journal: CutoverJournal, evidence: dict[str, float]) -> None:
    store = CutoverStore.from_settings(get_settings())
    png = cutover_gantt_png(journal, store.run_dir(journal.run_id) / "gantt.png")
    previous = store.previous(journal)
    markdown = cutover_markdown(journal, previous, png)
    evidence_lines = "\n".join(f"- `{k}` = {v:g}" for k, v in sorted(evidence.items()))
    create_markdown_artifact(markdown + f"\n\n## Evidence recorded (run {journal.run_id})\n\n{evidence_lines}\n",
                             key="cutover", description=f"{journal.name}: {journal.mode.value} {journal.status.value}")
    create_table_artifact(cutover_step_rows(journal, previous), key="cutover-steps",
                          description=f"{journal.mode.value} {journal.run_id}: estimated and actual seconds per step")


def run_cutover(params: CutoverParams) -> tuple[State, CutoverOutcome | None]:
    """Run the flow tagged `phase:go-live` and `mode:<mode>`; its final state and its outcome when it has one."""
    with tags("phase:go-live", f"mode:{params.mode.value}"):
        state: State = cutover(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, CutoverOutcome) else None
