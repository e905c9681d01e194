"""The schema upgrade's work as Prefect tasks, each on its own engine or unit of work for the database it is given.
A stage that does not hold raises `UpgradeStageFailed` with the reason; the flow decides about the rollback."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from alembic.util import CommandError
from prefect import task
from pydantic import BaseModel

from erp_models.invariants import find_violations
from erp_models.ops.incidents import report_violation, resolve_passing
from erp_models.ops.models import IncidentSeverity
from erp_models.ops.schema_upgrade import CHECK, UpgradeOutcome, UpgradeStatus, existing_tables, schema_fingerprint
from erp_models.project.evidence import record_evidence
from infra.backup_store import BackupStore
from infra.backups import create_backup, replace_with_backup
from infra.db import UnitOfWork, dispose_engine, get_engine
from infra.errors import ErpopsError
from infra.migrate import (
    current_revision,
    downgrade,
    resolve_revision,
    revisions_between,
    upgrade,
    verify_revisions,
)
from infra.settings import get_settings
from infra.stack import using_database
from tasks.cutover.smoke import smoke_test


class UpgradeStageFailed(Exception):
    """A stage of the upgrade whose check did not hold; the message is the reason."""


class UpgradePlan(BaseModel):
    start_revision: str | None
    target_revision: str | None
    revisions: list[str]
    fingerprint: str


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


def fingerprint_of(database_url: str) -> str:
    with using_database(database_url), UnitOfWork() as uow:
        return schema_fingerprint(uow.session)


@task(task_run_name="plan the upgrade")
def plan_upgrade(database_url: str, target: str, extra_versions: list[str]) -> UpgradePlan:
    """Where the database is, where `target` is, the revisions between, and the fingerprint to come back to."""
    engine = get_engine(database_url)
    start = current_revision(engine)
    try:
        resolved = resolve_revision(engine, target, extra_versions=extra_versions)
        between = [s.revision for s in revisions_between(engine, start, resolved, extra_versions=extra_versions)]
    except CommandError as exc:
        raise ErpopsError(f"cannot upgrade from {start or 'empty'} to {target}: {_one_line(exc)} "
                          "(to go back, use `erpops db downgrade`)") from None
    return UpgradePlan(start_revision=start, target_revision=resolved, revisions=between,
                       fingerprint=fingerprint_of(database_url))


@task(task_run_name="take the pre-upgrade backup")
def take_upgrade_backup(database_url: str) -> str:
    made = create_backup(database_url, BackupStore.from_settings(get_settings()), label="before-upgrade",
                         keep=get_settings().backup_keep)
    return made.manifest.id


@task(task_run_name="alembic upgrade")
def apply_migrations(database_url: str, target: str, extra_versions: list[str]) -> str | None:
    """Alembic to `target` in one transaction (a failing revision leaves nothing behind); the revision reached."""
    engine = get_engine(database_url)
    try:
        upgrade(engine, target, extra_versions=extra_versions)
    except Exception as exc:  # a revision's failure is the upgrade's verdict, not a crash of the flow
        raise UpgradeStageFailed(f"alembic upgrade to {target} failed: {_one_line(exc)}") from exc
    return current_revision(engine)


@task(task_run_name="verify the revisions")
def verify_applied(database_url: str, revisions: list[str], extra_versions: list[str]) -> list[str]:
    """The `verify(connection)` hooks of the applied revisions that declare one; the revisions verified."""
    try:
        return verify_revisions(get_engine(database_url), revisions, extra_versions=extra_versions)
    except Exception as exc:
        raise UpgradeStageFailed(_one_line(exc)) from exc


@task(task_run_name="db check")
def check_invariants(database_url: str) -> str:
    try:
        with using_database(database_url), UnitOfWork() as uow:
            violations = find_violations(uow.session)
    except Exception as exc:  # a schema the checks cannot read fails the check
        raise UpgradeStageFailed(f"db check could not run: {_one_line(exc)}") from exc
    if violations:
        raise UpgradeStageFailed("invariants violated: " + ", ".join(f"{v.check} ({v.count})" for v in violations))
    return "every invariant holds"


@task(task_run_name="smoke through the API")
def smoke_api(database_url: str, log_dir: str) -> str:
    """Place, pay, ship and cancel an order through an API started on loopback against the upgraded database."""
    try:
        with using_database(database_url):
            run = smoke_test(api_url=None, log_dir=Path(log_dir))
    except Exception as exc:  # the API not starting on the new schema is the smoke test failing
        raise UpgradeStageFailed(f"smoke test could not run: {_one_line(exc)}") from exc
    if not run.report.ok:
        failed = next(s for s in run.report.steps if not s.ok)
        raise UpgradeStageFailed(f"smoke step {failed.name} failed: {failed.detail}")
    return f"{len(run.report.steps)} API steps passed"


class RollbackDone(BaseModel):
    revision: str | None
    fingerprint: str
    notes: list[str]


@task(task_run_name="where the database is")
def where_now(database_url: str, note: str) -> RollbackDone:
    """Its revision and fingerprint, e.g. after a migration's transaction undid itself."""
    return RollbackDone(revision=current_revision(get_engine(database_url)), fingerprint=fingerprint_of(database_url),
                        notes=[note])


@task(task_run_name="roll back: alembic downgrade")
def downgrade_to(database_url: str, revision: str | None, extra_versions: list[str]) -> RollbackDone:
    """Alembic downgrade to `revision` in one transaction (a downgrade that fails leaves the upgraded schema)."""
    engine = get_engine(database_url)
    try:
        downgrade(engine, revision or "base", extra_versions=extra_versions)
    except Exception as exc:
        raise UpgradeStageFailed(f"alembic downgrade to {revision or 'base'} failed: {_one_line(exc)}") from exc
    return RollbackDone(revision=current_revision(engine), fingerprint=fingerprint_of(database_url),
                        notes=[f"alembic downgrade to {revision or 'base'}"])


@task(task_run_name="roll back: restore the backup")
def restore_over(database_url: str, backup_id: str) -> RollbackDone:
    """Swap a database restored from the pre-upgrade backup in for the live one."""
    started = time.monotonic()
    dispose_engine(database_url)  # pooled connections would keep the database in use
    replace_with_backup(database_url, BackupStore.from_settings(get_settings()), backup_id)
    dispose_engine(database_url)
    return RollbackDone(revision=current_revision(get_engine(database_url)), fingerprint=fingerprint_of(database_url),
                        notes=[f"restored backup {backup_id} in {time.monotonic() - started:.1f} s"])


@task(task_run_name="record the upgrade")
def record_upgrade(database_url: str, outcome: UpgradeOutcome, run_id: str) -> int | None:
    """Evidence and the incident (a failure opens it, a success resolves it); the incident's id. An older schema
    without the incidents table (before 0013) keeps the record in the flow run only."""
    source = f"schema-upgrade flow run {run_id}"
    with using_database(database_url), UnitOfWork() as uow:
        if "incidents" not in existing_tables(uow.session):
            return None
        record_evidence(uow.session, source=source, values=outcome.evidence(), run_id=uuid.UUID(run_id),
                        scope="ops/schema-upgrade", detail={"status": outcome.status.value, "reason": outcome.reason})
        incident_id = None
        if outcome.status is UpgradeStatus.PASSED:
            resolve_passing(uow.session, checks=[CHECK], by=source)
        else:
            severity = IncidentSeverity.CRITICAL if outcome.status is UpgradeStatus.FAILED else IncidentSeverity.WARNING
            incident, _ = report_violation(uow.session, check=CHECK, summary=outcome.reason, source=source,
                                           severity=severity, run_id=uuid.UUID(run_id),
                                           detail=f"{outcome.status.value}; rollback: "
                                                  + "; ".join(outcome.rollback_notes))
            incident_id = incident.id
        uow.commit()
    return incident_id
