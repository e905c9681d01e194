"""Prefect tasks of the migration flow: thin wrappers of the migration service (`erp_models.migration.service.run`)
that pass it the ERP's units of work, the GX gate and the run's progress."""

from __future__ import annotations

import getpass
import uuid

from prefect import runtime, task
from pydantic import SecretStr

from erp_models.enums import MigrationRunStatus
from erp_models.migration.service import pipeline, run
from erp_models.migration.service.results import EntityResult, RunPlan
from erp_models.migration.service.run import DryRun, RunRequest
from expectations.docs import write_data_docs
from expectations.gate import MigrationGate
from infra.db import UnitOfWork
from infra.settings import get_settings
from infra.stack import using_database
from tasks.migration.progress import RunProgress, expected_rows
from tasks.migration.runners import batch_pool

__all__ = ["DryRun", "EntityResult", "RunPlan", "RunRequest"]
GATE = MigrationGate()


@task
def plan_run(request: RunRequest, flow_run: uuid.UUID) -> RunPlan:
    """Check the mapping, then start a run (or find the unfinished one to resume) for `flow_run`."""
    plan = run.plan_run(request, UnitOfWork, GATE, flow_run)
    if plan.forced_change is not None:
        print(f"resuming run {plan.run_id} with a changed mapping (--force): {plan.forced_change}")
    return plan


def _progress(plan: RunPlan, progress_id: uuid.UUID | None, step: int, expected: int) -> pipeline.Progress:
    """Progress of step `step` of the run's 2 × entities steps, for the caller's reporter and the artifact."""
    progress = RunProgress(progress_id, 2 * len(plan.order))
    progress.done_steps = step
    return lambda entity, phase, rows: progress.update(entity, phase, rows, expected)


def _entities_label() -> str:
    return "stage_entity[" + "+".join(runtime.task_run.parameters.get("entities", [])) + "]"


@task(task_run_name=_entities_label)
def stage_entities(plan: RunPlan, entities: list[str], progress_id: uuid.UUID | None = None,
                   step: int = 0) -> list[EntityResult]:
    """Phase 1 of entities that read one source, from one reading of it (one entity, most often): extract,
    transform, gate, quarantine and COPY into staging, batch by batch."""
    each = {name: _progress(plan, progress_id, step + n, expected_rows(plan.mapping, plan.base_dir, name))
            for n, name in enumerate(entities)}
    return run.stage_together(plan, entities, UnitOfWork, GATE,
                              lambda entity, phase, rows: each[entity](entity, phase, rows))


@task(task_run_name="stage_batches[{entity}]")
def stage_batches(plan: RunPlan, entity: str, database: SecretStr, progress_id: uuid.UUID | None = None,
                  step: int = 0) -> pipeline.StageReport:
    """Phase 1 without its end: the batches, on whichever worker runs the task (a Dask worker, say), into the
    flow's own database (`database`), whatever the worker's settings say."""
    expected = expected_rows(plan.mapping, plan.base_dir, entity)
    with using_database(database.get_secret_value()):
        return run.stage_batches(plan, entity, UnitOfWork, GATE, _progress(plan, progress_id, step, expected))


@task(task_run_name="check_staged[{staged.entity}]")
def check_staged(plan: RunPlan, staged: pipeline.StageReport) -> EntityResult:
    """The end of phase 1: repeats and orphans out of staging, once the entities before it are staged."""
    return run.check(plan, staged, UnitOfWork, GATE)


@task
def write_docs(plan: RunPlan) -> str | None:
    """GX Data Docs of the validations the gate kept while staging (an entity's first batch), rendered once
    per run (not once per entity).

    Evidence only: the flow runs this in a thread while the entities load, and a failure is just logged."""
    index = write_data_docs(plan.docs_dir, str(plan.run_id))  # None: nothing staged in this process (a resume
    # past staging); the docs there are stay
    return None if index is None else str(index)


@task(task_run_name="load_entity[{staged.entity}]")
def load_entity(plan: RunPlan, staged: EntityResult, progress_id: uuid.UUID | None = None, step: int = 0,
                dask_address: str | None = None, database: SecretStr | None = None) -> EntityResult:
    """Phase 2: drop duplicate keys, quarantine orphans, upsert through the legacy-key map, reconcile; with a
    Dask cluster's address, its workers upsert the batches (into `database`, the run's own)."""
    with batch_pool(dask_address, database) as pool:
        return run.load(plan, staged, UnitOfWork, GATE, _progress(plan, progress_id, step, staged.read),
                        workers=get_settings().migration_load_workers, pool=pool)


@task
def dry_run_entities(plan: RunPlan) -> DryRun:
    """Everything a load does, rolled back at the end; the quarantine CSV shows what a load would set aside."""
    return run.dry_run(plan, UnitOfWork, GATE)


@task
def finish_run(plan: RunPlan, status: MigrationRunStatus, results: list[EntityResult], flow_run: str) -> None:
    """Record the outcome, leave evidence for milestone gates, drop the staging tables."""
    run.finish(plan, status, results, flow_run, UnitOfWork)


@task
def export_quarantine(run_id: uuid.UUID, out_dir: str) -> str | None:
    """The run's quarantined rows as CSV; None when there are none."""
    return run.export_quarantine(run_id, out_dir, UnitOfWork)


@task
def undo_run(run_id: uuid.UUID) -> dict[str, int]:
    """Revert exactly what one run did, and withdraw its evidence in the name of whoever undid it."""
    return run.undo(run_id, UnitOfWork, _who())


def _who() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        user = "unknown user"
    flow_run = runtime.flow_run.id
    return f"{user} (flow run {flow_run})" if flow_run else user
