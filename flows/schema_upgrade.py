"""Operate: a schema upgrade of the live ERP, in a fixed order. (1) A fresh backup, or no upgrade. (2) Alembic to
the target. (3) Verify: each applied revision's own `verify(connection)` hook where it declares one (Sqitch style),
`db check`, and the API smoke test. (4) On a failure, roll back: Alembic downgrade to the starting revision, or,
when a downgrade fails or does not bring the content back, the backup restored in its place. The rollback counts
only when the database's fingerprint equals the one taken before. Timings, evidence and the incident
`ops.schema_upgrade` are recorded; a failed upgrade ends the run Failed with its reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from prefect import flow, runtime, tags
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed
from pydantic import BaseModel, Field
from sqlalchemy.engine import make_url

from erp_models.ops.schema_upgrade import RollbackMethod, UpgradeOutcome, UpgradeStatus
from infra.settings import get_settings
from infra.stack import database_url
from tasks.ops.schema_upgrade import (
    RollbackDone,
    UpgradeStageFailed,
    apply_migrations,
    check_invariants,
    downgrade_to,
    plan_upgrade,
    record_upgrade,
    restore_over,
    smoke_api,
    take_upgrade_backup,
    verify_applied,
    where_now,
)

T = TypeVar("T")


class SchemaUpgradeParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    target: str = Field(default="head", description="Alembic revision to upgrade to")
    smoke: bool = Field(default=True, description="Run the API smoke test after the upgrade")
    extra_versions: list[str] = Field(default_factory=list, description="More directories of Alembic revisions "
                                      "(to rehearse a revision before it ships; tests)")


class SchemaUpgradeOutcome(BaseModel):
    flow_run_id: str
    upgrade: UpgradeOutcome
    incident_id: int | None = None


def _run_name() -> str:
    raw = runtime.flow_run.parameters.get("params")
    target = raw.get("target") if isinstance(raw, dict) else getattr(raw, "target", "head")
    return f"schema-upgrade/{target or 'head'}"


def _timed(outcome: UpgradeOutcome, stage: str, work: Callable[[], T]) -> T:
    started = time.monotonic()
    try:
        return work()
    finally:
        outcome.timings_s[stage] = round(outcome.timings_s.get(stage, 0.0) + time.monotonic() - started, 3)


@flow(name="schema-upgrade", flow_run_name=_run_name, log_prints=True)
def schema_upgrade(params: SchemaUpgradeParams) -> SchemaUpgradeOutcome | State:
    """Back up, upgrade, verify, and roll back on failure; record timings, evidence and the incident."""
    run_id = str(runtime.flow_run.id)
    live = database_url()
    extra = params.extra_versions
    plan = plan_upgrade(live, params.target, extra)
    outcome = UpgradeOutcome(database=make_url(live).database or "", start_revision=plan.start_revision,
                             target_revision=plan.target_revision, fingerprint_before=plan.fingerprint)
    if not plan.revisions:
        outcome.final_revision, outcome.fingerprint_after = plan.start_revision, plan.fingerprint
        return Completed(message=f"schema already at {plan.start_revision}",
                         data=SchemaUpgradeOutcome(flow_run_id=run_id, upgrade=outcome))
    outcome.backup_id = _timed(outcome, "backup", lambda: take_upgrade_backup(live))  # no backup, no upgrade
    print(f"upgrading {outcome.database} from {plan.start_revision or 'empty'} to {plan.target_revision} "
          f"({', '.join(plan.revisions)}); backup {outcome.backup_id}")
    try:
        outcome.failed_at = "upgrade"
        outcome.final_revision = _timed(outcome, "upgrade", lambda: apply_migrations(live, params.target, extra))
        outcome.applied = list(plan.revisions)
        _verify(outcome, live, params, run_id)
        outcome.failed_at = None
    except UpgradeStageFailed as exc:
        outcome.reason = f"{outcome.failed_at} failed: {exc}"
        print(outcome.reason)
        _timed(outcome, "rollback", lambda: _roll_back(outcome, live, extra))
    incident = record_upgrade(live, outcome, run_id)
    _publish(outcome)
    result = SchemaUpgradeOutcome(flow_run_id=run_id, upgrade=outcome, incident_id=incident)
    verdict = f"schema upgrade {outcome.status.value}" + (f": {outcome.reason}" if outcome.reason else "")
    print(verdict)
    return Completed(message=verdict, data=result) if outcome.status is UpgradeStatus.PASSED else \
        Failed(message=verdict, data=result)


def _verify(outcome: UpgradeOutcome, live: str, params: SchemaUpgradeParams, run_id: str) -> None:
    outcome.failed_at = "verify"
    hooks = _timed(outcome, "verify_revisions", lambda: verify_applied(live, outcome.applied, params.extra_versions))
    outcome.verified += [f"verify:{r}" for r in hooks]
    outcome.failed_at = "db-check"
    _timed(outcome, "db_check", lambda: check_invariants(live))
    outcome.verified.append("db-check")
    if params.smoke:
        outcome.failed_at = "smoke"
        log_dir = str(get_settings().state_dir / "upgrades" / run_id)
        _timed(outcome, "smoke", lambda: smoke_api(live, log_dir))
        outcome.verified.append("smoke")


def _roll_back(outcome: UpgradeOutcome, live: str, extra: list[str]) -> None:
    """Back to the starting revision: nothing to do when the upgrade's transaction undid itself, else a
    downgrade, else (or when the downgrade leaves other content, e.g. the smoke test's rows) the backup."""
    done: RollbackDone | None = None
    if not outcome.applied:
        outcome.rollback = RollbackMethod.TRANSACTION
        done = where_now(live, "the failed migration's transaction was rolled back: nothing was applied")
    else:
        try:
            done = downgrade_to(live, outcome.start_revision, extra)
            outcome.rollback = RollbackMethod.DOWNGRADE
            if done.fingerprint != outcome.fingerprint_before:
                outcome.rollback_notes += done.notes + [f"the downgrade left fingerprint {done.fingerprint}, not "
                                                        f"{outcome.fingerprint_before}"]
                done = None
        except UpgradeStageFailed as exc:
            outcome.rollback_notes.append(str(exc))
        if done is None:
            assert outcome.backup_id is not None
            outcome.rollback = RollbackMethod.RESTORE
            try:
                done = restore_over(live, outcome.backup_id)
            except Exception as exc:  # the verdict below says so, and names the backup to restore by hand
                done = where_now(live, f"restoring backup {outcome.backup_id} failed: {exc}")
    outcome.rollback_notes += done.notes
    method = outcome.rollback.value if outcome.rollback else "-"
    outcome.final_revision, outcome.fingerprint_after = done.revision, done.fingerprint
    back = done.fingerprint == outcome.fingerprint_before and done.revision == outcome.start_revision
    outcome.status = UpgradeStatus.ROLLED_BACK if back else UpgradeStatus.FAILED
    outcome.reason += (f"; rolled back by {method} to {done.revision or 'empty'}, fingerprint "
                       "equal to before" if back else f"; the rollback ({method}) left revision "
                       f"{done.revision}, fingerprint {done.fingerprint} (before: {outcome.start_revision}, "
                       f"{outcome.fingerprint_before}): restore backup {outcome.backup_id} by hand")


def _publish(outcome: UpgradeOutcome) -> None:
    stages = "\n".join(f"| {stage} | {seconds:g} |" for stage, seconds in outcome.timings_s.items())
    lines = [f"# Schema upgrade {outcome.status.value}: {outcome.start_revision or 'empty'} → "
             f"{outcome.target_revision}", "", outcome.reason or "every check passed", "",
             f"- database `{outcome.database}`, backup `{outcome.backup_id}`",
             f"- applied: {', '.join(outcome.applied) or 'nothing'}; verified: {', '.join(outcome.verified) or '-'}",
             f"- revision now `{outcome.final_revision}`; fingerprint before `{outcome.fingerprint_before}`, after "
             f"`{outcome.fingerprint_after}`"]
    if outcome.rollback is not None:
        lines.append(f"- rollback by {outcome.rollback.value}: {'; '.join(outcome.rollback_notes)}")
    lines += ["", "| stage | seconds |", "|---|---|", stages, f"| total | {outcome.duration_s:g} |"]
    create_markdown_artifact("\n".join(lines), key="schema-upgrade",
                             description=f"schema upgrade of {outcome.database}: {outcome.status.value}")


def run_schema_upgrade(params: SchemaUpgradeParams) -> tuple[State, SchemaUpgradeOutcome | None]:
    """Run the flow tagged `phase:operate`; its final state and its outcome when it has one."""
    with tags("phase:operate"):
        state: State = schema_upgrade(params, return_state=True)
    data = state.result(raise_on_failure=False) if state.is_completed() or state.is_failed() else None
    return state, data if isinstance(data, SchemaUpgradeOutcome) else None
