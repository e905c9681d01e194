"""The cutover's work as Prefect tasks: each opens its own units of work on the database it is given (the live ERP,
or a rehearsal's copy) and returns a small summary. A step that does not hold raises `StepFailed` with the reason.

The flow (flows/cutover/flow.py) orders them, journals them and decides about the rollback; the readiness checks, the
final delta and the smoke load are subflows it calls itself.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from prefect import task
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from erp_models.cutover.journal import CutoverJournal
from erp_models.cutover.steps import (
    BackupStep,
    CommandStep,
    FreezeStep,
    GoNoGoStep,
    ReconcileStep,
)
from erp_models.cutover.verdicts import cutover_evidence, judge_delta, passed_rehearsals
from erp_models.enums import MilestoneStatus
from erp_models.errors import DomainError
from erp_models.fingerprint import database_fingerprint
from erp_models.invariants import find_violations
from erp_models.migration.mapping import load_mapping
from erp_models.migration.models import MigrationRun
from erp_models.migration.runs import resumable_run
from erp_models.project.evidence import record_evidence
from erp_models.project.gates import milestone_standing, raise_risk
from erp_models.project.loading import project_by_code
from erp_models.system.freeze import freeze, release
from infra.backup_store import BackupStore
from infra.backups import create_backup, drop_database, restore_backup
from infra.cutover_store import CutoverStore
from infra.db import UnitOfWork, dispose_engine
from infra.errors import ErpopsError
from infra.settings import get_settings
from infra.stack import using_database
from tasks.cutover.smoke import smoke_test

PASSED_MILESTONE = {MilestoneStatus.PASSED, MilestoneStatus.APPROVED}


class StepFailed(Exception):
    """A step whose check did not hold; the message is the reason shown to the PM."""


class StepDone(BaseModel):
    detail: str
    backup_id: str | None = None
    fingerprint: str | None = None


class Rollback(BaseModel):
    restored_backup: str | None
    fingerprint: str
    duration_s: float


def _store() -> BackupStore:
    return BackupStore.from_settings(get_settings())


def fingerprint_of(database_url: str) -> str:
    with using_database(database_url), UnitOfWork() as uow:
        return database_fingerprint(uow.session)[1]


@task(task_run_name="fingerprint")
def take_fingerprint(database_url: str) -> str:
    """The content fingerprint of the database (as `erpops db fingerprint`)."""
    return fingerprint_of(database_url)


@task(task_run_name="copy the live ERP for the rehearsal")
def copy_for_rehearsal(live_url: str) -> tuple[str, str]:
    """Back up the live ERP now and restore it into a new database; (the copy's URL, the backup id)."""
    settings = get_settings()
    made = create_backup(live_url, _store(), label="rehearsal-source", keep=settings.backup_keep)
    name = f"erpops_rehearsal_{secrets.token_hex(4)}"
    restored = restore_backup(live_url, _store(), made.manifest.id, into=name)
    if not restored.fingerprint_matches:
        drop_database(make_url(live_url), name)
        raise ErpopsError(f"the rehearsal copy {name} does not match backup {made.manifest.id}: fingerprint "
                          f"{restored.fingerprint}, expected {restored.expected_fingerprint}")
    return make_url(live_url).set(database=name).render_as_string(hide_password=False), made.manifest.id


@task(task_run_name="drop the rehearsal copy")
def drop_rehearsal_copy(copy_url: str) -> None:
    """Drop the copy and the backups taken of it (its name is unique; the live ERP's backups stay)."""
    dispose_engine(copy_url)
    url = make_url(copy_url)
    drop_database(url, url.database or "")
    store = _store()
    for manifest in store.manifests():
        if manifest.database == url.database:
            store.remove(manifest)


@task(task_run_name="go/no-go: milestones")
def check_milestones(database_url: str, step: GoNoGoStep) -> list[str]:
    """The milestones the go/no-go names that have not passed their gates, each with its status."""
    with using_database(database_url), UnitOfWork() as uow:
        try:
            project = project_by_code(uow.session, None)
        except DomainError as exc:
            return [f"no plan: {exc}"]
        standing = {m.code: m.status for m in milestone_standing(uow.session, project_id=project.id)}
    missing = [f"{code} is not a milestone of plan {project.code}" for code in step.milestones if code not in standing]
    open_ = [f"{code} is {standing[code].value}" for code in step.milestones
             if code in standing and standing[code] not in PASSED_MILESTONE]
    return missing + open_


@task(task_run_name="freeze")
def freeze_writes(database_url: str, step: FreezeStep, actor: str) -> StepDone:
    with using_database(database_url), UnitOfWork() as uow:
        state = freeze(uow.session, by=actor, reason=step.reason, retry_after_s=round(step.retry_after))
        uow.commit()
    return StepDone(detail=f"business writes frozen since {state.frozen_at.isoformat(timespec='seconds')} "
                           f"(Retry-After {state.retry_after_s} s)")


@task(task_run_name="backup")
def take_backup(database_url: str, step: BackupStep) -> StepDone:
    made = create_backup(database_url, _store(), label=step.label, keep=get_settings().backup_keep)
    manifest = made.manifest
    if manifest.fingerprint is None:
        raise StepFailed(f"backup {manifest.id} has no fingerprint: the schema is not at the newest revision")
    return StepDone(detail=f"backup {manifest.id}: {manifest.size_bytes} bytes in {manifest.duration_s:g} s",
                    backup_id=manifest.id, fingerprint=manifest.fingerprint)


@task(task_run_name="final delta: unfinished run?")
def unfinished_delta(database_url: str, mapping_file: str) -> bool:
    """Whether the mapping has an unfinished migration run (a cutover killed during its final delta)."""
    mapping, _ = load_mapping(Path(mapping_file))
    with using_database(database_url), UnitOfWork() as uow:
        return resumable_run(uow.session, mapping_name=mapping.name) is not None


@task(task_run_name="reconciliation gate")
def reconcile_delta(database_url: str, step: ReconcileStep, delta_run_id: str) -> StepDone:
    """The final delta's reconciliation against the runbook's thresholds, from the run's own record."""
    with using_database(database_url), UnitOfWork() as uow:
        run = uow.session.get(MigrationRun, _uuid(delta_run_id))
        if run is None or run.summary is None:
            raise StepFailed(f"the final delta's migration run {delta_run_id} has no record")
        verdict = judge_delta(str(run.status), run.summary.get("entities", []), step.thresholds)
    if not verdict.ok:
        raise StepFailed(verdict.reason)
    return StepDone(detail=f"{len(verdict.differences)} differences; quarantine rate {verdict.quarantine_rate:.4f} "
                           f"({verdict.quarantined} of {verdict.read} rows)")


def _uuid(value: str) -> object:
    import uuid

    return uuid.UUID(value)


@task(task_run_name="smoke through the API")
def smoke(database_url: str, log_dir: str) -> StepDone:
    """Place, pay, ship and cancel an order through an API started on loopback against this database."""
    with using_database(database_url):
        run = smoke_test(api_url=None, log_dir=Path(log_dir))
    if not run.report.ok:
        failed = next(s for s in run.report.steps if not s.ok)
        raise StepFailed(f"smoke step {failed.name} failed: {failed.detail}")
    return StepDone(detail=f"{len(run.report.steps)} API steps passed on {run.report.tag}; smoke data retired")


@task(task_run_name="switch")
def switch_over(database_url: str, actor: str) -> StepDone:
    with using_database(database_url), UnitOfWork() as uow:
        released = release(uow.session, by=actor)
        uow.commit()
    return StepDone(detail="business writes open again" if released else "writes were not frozen; go-live marked")


@task(task_run_name="post-check: db check")
def post_check_invariants(database_url: str) -> StepDone:
    with using_database(database_url), UnitOfWork() as uow:
        violations = find_violations(uow.session)
    if violations:
        raise StepFailed("invariants violated: " + ", ".join(f"{v.check} ({v.count})" for v in violations))
    return StepDone(detail="every invariant holds")


@task(task_run_name="command")
def run_command(database_url: str, step: CommandStep, cwd: str, log: str) -> StepDone:
    """The site's shell command, with ERPOPS_DATABASE_URL set to the database the cutover works on."""
    env = os.environ | {"ERPOPS_DATABASE_URL": database_url}
    with open(log, "ab") as out:
        try:
            done = subprocess.run(step.command, shell=True, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=step.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"`{step.command}` did not finish within {step.timeout:g} s (log {log})") from None
    if done.returncode != 0:
        raise StepFailed(f"`{step.command}` exited {done.returncode} (log {log})")
    return StepDone(detail=f"`{step.command}` exited 0")


@task(task_run_name="roll back")
def roll_back(database_url: str, backup_id: str | None, actor: str) -> Rollback:
    """Restore the pre-cutover backup over the database (when one was taken), then open writes again."""
    started = time.monotonic()
    if backup_id is not None:
        dispose_engine(database_url)  # pooled connections would hold the tables pg_restore drops
        restore_backup(database_url, _store(), backup_id, into=None)
        dispose_engine(database_url)
    with using_database(database_url), UnitOfWork() as uow:
        release(uow.session, by=actor)
        uow.commit()
    fingerprint = fingerprint_of(database_url)
    return Rollback(restored_backup=backup_id, fingerprint=fingerprint,
                    duration_s=round(time.monotonic() - started, 3))


@task(task_run_name="record the cutover's evidence")
def record_cutover_evidence(live_url: str, journal: CutoverJournal) -> dict[str, float]:
    """The cutover's evidence, on the live ERP (never on a rehearsal's copy), under the flow run's id."""
    import uuid

    with using_database(live_url), UnitOfWork() as uow:
        values = cutover_evidence(journal, passed_before=passed_rehearsals(uow.session))
        record_evidence(uow.session, source=f"cutover flow run {journal.run_id} ({journal.mode.value})",
                        values=values, run_id=uuid.UUID(journal.run_id), scope=f"cutover/{journal.mode.value}",
                        detail={"runbook": journal.runbook, "status": journal.status.value})
        uow.commit()
    return values


@task(task_run_name="raise the go-live risk")
def raise_go_live_risk(live_url: str, journal: CutoverJournal) -> str | None:
    """A post-switch failure: the plan's risk `GOLIVE-<run>` is raised (nothing is restored over live orders)."""
    code = f"GOLIVE-{journal.run_id[:8]}"
    with using_database(live_url), UnitOfWork() as uow:
        try:
            project = project_by_code(uow.session, None)
        except DomainError:
            return None  # no plan loaded: the failed flow run and its event are the record
        raise_risk(uow.session, project_id=project.id, code=code, owner=journal.step(journal.failed_step or "").owner
                   if journal.failed_step else "cutover", title=f"Go-live {journal.mode.value}: {journal.reason}",
                   mitigation="Live orders stay; fix forward (see the cutover run's artifact), then rerun the checks")
        uow.commit()
    return code


def save_journal(journal: CutoverJournal) -> None:
    CutoverStore.from_settings(get_settings()).save(journal)


def now() -> datetime:
    return datetime.now(UTC)
