"""The restore drill's work as Prefect tasks: pick (or take) the backup, restore it into a scratch database that is
dropped afterwards, and record the verdict as evidence and an incident on the live ERP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from prefect import task
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from erp_models.ops.backups import BackupManifest
from erp_models.ops.incidents import report_violation, resolve_passing
from erp_models.ops.models import IncidentSeverity
from erp_models.ops.restore_drill import CHECK, DrillVerdict
from erp_models.project.evidence import record_evidence
from infra.backup_store import BackupStore
from infra.backups import create_backup, describe_source, verify_backup
from infra.db import UnitOfWork
from infra.errors import ErpopsError
from infra.settings import get_settings
from infra.stack import using_database


class ChosenBackup(BaseModel):
    backup_id: str | None
    created_at: datetime | None
    newest_id: str | None
    rpo_s: float | None


class ScratchRestore(BaseModel):
    expected_fingerprint: str | None = None
    fingerprint: str | None = None
    violations: list[str] = []
    rto_s: float | None = None
    error: str | None = None


def _store() -> BackupStore:
    return BackupStore.from_settings(get_settings())


def _backups_of(database_url: str) -> list[BackupManifest]:
    source = describe_source(make_url(database_url))
    return [m for m in _store().manifests() if m.source == source]


@task(task_run_name="take a backup for the drill")
def take_drill_backup(database_url: str) -> str:
    made = create_backup(database_url, _store(), label="drill", keep=get_settings().backup_keep)
    return made.manifest.id


@task(task_run_name="choose the backup")
def choose_backup(database_url: str, backup_id: str | None) -> ChosenBackup:
    """The given backup (else the newest of this database) and the age of the newest one (the RPO)."""
    mine = _backups_of(database_url)
    newest = mine[-1] if mine else None
    chosen = _store().get(backup_id) if backup_id else newest
    rpo = (datetime.now(UTC) - newest.created_at).total_seconds() if newest else None
    return ChosenBackup(backup_id=chosen.id if chosen else None, created_at=chosen.created_at if chosen else None,
                        newest_id=newest.id if newest else None, rpo_s=None if rpo is None else round(rpo, 3))


@task(task_run_name="restore into a scratch database")
def restore_into_scratch(database_url: str, backup_id: str) -> ScratchRestore:
    """Restore, fingerprint and check in a scratch database (always dropped); a restore error is a finding."""
    try:
        done = verify_backup(database_url, _store(), backup_id)
    except ErpopsError as exc:
        return ScratchRestore(error=str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else type(exc).__name__)
    return ScratchRestore(expected_fingerprint=done.expected_fingerprint, fingerprint=done.fingerprint,
                          violations=done.violations, rto_s=done.duration_s)


class DrillRecord(BaseModel):
    incident_id: int | None = None
    incident_opened: bool = False
    resolved: list[int] = []


@task(task_run_name="record the drill")
def record_drill(database_url: str, verdict: DrillVerdict, run_id: str) -> DrillRecord:
    """Evidence on the live ERP; a failed drill opens (or updates) the incident, a passing one resolves it."""
    source = f"restore-drill flow run {run_id}"
    with using_database(database_url), UnitOfWork() as uow:
        record_evidence(uow.session, source=source, values=verdict.evidence, run_id=uuid.UUID(run_id),
                        scope="ops/restore-drill", detail={"reasons": verdict.reasons})
        record = DrillRecord()
        if verdict.ok:
            record.resolved = [i.id for i in resolve_passing(uow.session, checks=[CHECK], by=source)]
        else:
            incident, opened = report_violation(uow.session, check=CHECK, summary=verdict.reason[:500],
                                                source=source, severity=IncidentSeverity.CRITICAL,
                                                value=verdict.evidence.get("ops.restore_drill.rpo_s"),
                                                run_id=uuid.UUID(run_id))
            record.incident_id, record.incident_opened = incident.id, opened
        uow.commit()
    return record
