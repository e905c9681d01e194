"""The migration's use cases, typed end to end: plan a run, stage and load an entity, dry-run every entity,
finish, undo, and export the quarantine.

Each takes the units of work it opens (`UnitsOfWork`: the CLI, the API, tasks and tests pass
`infra.db.UnitOfWork`) and, where rows are validated, the `Gate`. The Prefect tasks in `tasks/migration` are
thin wrappers of these functions; tests call them directly.
"""

from __future__ import annotations

import uuid
from concurrent.futures import Executor
from pathlib import Path

from pydantic import BaseModel

from erp_models.enums import MigrationMode, MigrationRunStatus
from erp_models.errors import NotFound
from erp_models.migration import runs, staging
from erp_models.migration.listing import recorded_entities
from erp_models.migration.mapping import MappingError, entity_order, fingerprints, load_mapping
from erp_models.migration.quarantined import set_aside_counts
from erp_models.migration.service import pipeline
from erp_models.migration.service.evidence import record_run_evidence, withdraw_run_evidence
from erp_models.migration.service.quarantine import write_quarantine_csv
from erp_models.migration.service.relations import reading_groups
from erp_models.migration.service.results import EntityResult, RunPlan, loaded_result, staged_result
from erp_models.migration.targets import TARGETS
from erp_models.uow import SavepointUnitOfWork, UnitsOfWork


class RunRequest(BaseModel):
    """What a caller asks of a run that loads (not an undo), as the CLI's options and the UI's form say it."""

    mapping_path: str
    dry_run: bool = False
    resume: bool = False  # the newest unfinished run of the mapping, in the mode it started in
    delta: bool = False
    force: bool = False  # resume although the mapping changed since the run started
    out_dir: str = ".erpops/migrations"


def plan_run(request: RunRequest, units: UnitsOfWork, gate: pipeline.Gate, flow_run: uuid.UUID) -> RunPlan:
    """Check the mapping (and its gate settings against `gate`), then start a run, or find the unfinished one to
    resume, done by `flow_run`. A resume whose mapping changed since its run started is refused, naming what
    changed, unless `force`."""
    path = Path(request.mapping_path).resolve()
    mapping, digest = load_mapping(path)
    marks_of_mapping = fingerprints(mapping)
    order = entity_order(mapping)
    for name, entity in mapping.entities.items():
        try:
            gate.check(entity.target, severity=dict(entity.gate.severity), disable=list(entity.gate.disable))
        except ValueError as exc:
            raise MappingError(f"{path}: entities.{name}.gate: {exc}") from None
    mode = MigrationMode.DRY_RUN if request.dry_run else MigrationMode.DELTA if request.delta else MigrationMode.LOAD
    targets = {n: mapping.entities[n].target for n in order}
    with units() as uow:
        # A retry of the same flow run (Prefect's retries, the UI's Retry after a worker died) continues its run.
        retried = None if request.resume else flow_run
        found = (runs.resumable_run(uow.session, mapping_name=mapping.name, done_by=retried)
                 if request.resume or mode != MigrationMode.DRY_RUN else None)
        if request.resume and found is None:
            raise NotFound(f"{path}: no unfinished run of mapping {mapping.name!r} to resume")
        if found is not None:
            run_id, mode = found
            changed = runs.check_same_mapping(uow.session, run_id, digest=digest, marks=marks_of_mapping,
                                              force=request.force)
        else:
            changed = None
            run_id = runs.start_run(uow.session, mapping_name=mapping.name, mapping_hash=digest, mode=mode)
            runs.finish_run(uow.session, run_id=run_id, status=MigrationRunStatus.RUNNING, summary={
                "order": order, "targets": targets, "mapping": marks_of_mapping})
        # A delta (a dry one too, and one resumed without --delta) reads past the marks the runs before it left
        # (a resumed run's own do not count: it has not passed), so it stages the batches its checkpoints name.
        reads_delta = mode == MigrationMode.DELTA or (mode == MigrationMode.DRY_RUN and request.delta)
        marks = runs.last_watermarks(uow.session, mapping=mapping) if reads_delta else {}
        replaced = runs.swap_flow_run(uow.session, run_id=run_id, flow_run_id=flow_run)
        uow.commit()
    return RunPlan(run_id=run_id, mapping_path=str(path), mapping_name=mapping.name, mapping=mapping, mode=mode,
                   order=order, targets=targets, delta_marks=marks, resumed=found is not None,
                   out_dir=request.out_dir, replaced_flow_run=replaced, mapping_marks=marks_of_mapping,
                   forced_change=changed)


def stage(plan: RunPlan, entity: str, units: UnitsOfWork, gate: pipeline.Gate,
          progress: pipeline.Progress | None = None, *, behind: bool = True) -> EntityResult:
    """Phase 1 of an entity: extract, transform, gate, quarantine and COPY into staging, batch by batch (with
    `behind`, each batch's writes overlap the next batch's transform and gate)."""
    return check(plan, stage_batches(plan, entity, units, gate, progress, behind=behind), units, gate)


def stage_together(plan: RunPlan, entities: list[str], units: UnitsOfWork, gate: pipeline.Gate,
                   progress: pipeline.Progress | None = None, *, behind: bool = True) -> list[EntityResult]:
    """Phase 1 of entities that read one source (`relations.reading_groups`), from one reading of it; each ends
    with its `check`, in the run's order."""
    reports = pipeline.stage_entities(plan.pipeline(gate), entities, units, progress, behind=behind)
    return [check(plan, report, units, gate) for report in reports]


def stage_batches(plan: RunPlan, entity: str, units: UnitsOfWork, gate: pipeline.Gate,
                  progress: pipeline.Progress | None = None, *, behind: bool = True) -> pipeline.StageReport:
    """Phase 1 of an entity without its end (`check`): the batches, which may run beside other entities'."""
    return pipeline.stage_entity(plan.pipeline(gate), entity, units, progress, behind=behind, check=False)


def check(plan: RunPlan, staged: pipeline.StageReport, units: UnitsOfWork, gate: pipeline.Gate) -> EntityResult:
    """The end of phase 1 (repeats and orphans out of staging), once the entities before it are staged."""
    report = pipeline.check_staged(plan.pipeline(gate), staged, units)
    with units() as uow:
        return staged_result(plan, staged.entity, report, set_aside_counts(uow.session, plan.run_id, staged.entity))


def load(plan: RunPlan, staged: EntityResult, units: UnitsOfWork, gate: pipeline.Gate,
         progress: pipeline.Progress | None = None, workers: int = 1, pool: Executor | None = None) -> EntityResult:
    """Phase 2 of an entity: drop duplicate keys, quarantine orphans, upsert through the legacy-key map (the
    batches on `pool` when one is given), reconcile."""
    outcome = pipeline.load_entity(plan.pipeline(gate), staged.entity, units, progress, workers=workers, pool=pool)
    with units() as uow:
        aside = set_aside_counts(uow.session, plan.run_id, staged.entity)
    return loaded_result(staged, outcome, aside, plan.mapping)


class DryRun(BaseModel):
    results: list[EntityResult]
    quarantine_csv: str | None = None


def dry_run(plan: RunPlan, units: UnitsOfWork, gate: pipeline.Gate) -> DryRun:
    """Everything a load does, in one unit of work that is never committed (each step in a savepoint of it).

    The quarantine CSV is written before the rollback: it shows what a load would set aside."""
    results: list[EntityResult] = []
    with units() as outer:
        def savepoint() -> SavepointUnitOfWork:
            return SavepointUnitOfWork(outer.session)

        for group in reading_groups(plan.mapping, plan.order):
            for staged in stage_together(plan, group, savepoint, gate, behind=False):
                results.append(staged if staged.blocked_by else load(plan, staged, savepoint, gate))
                if staged.blocked_by:
                    break
            if results[-1].blocked_by:
                break
        csv_path = write_quarantine_csv(outer.session, plan.run_id, plan.out_dir)
    return DryRun(results=results, quarantine_csv=csv_path)


def finish(plan: RunPlan, status: MigrationRunStatus, results: list[EntityResult], flow_run: str,
           units: UnitsOfWork) -> None:
    """Record the outcome, leave evidence for milestone gates, drop the staging tables (a failed run keeps
    what it staged, for --resume)."""
    summary = {"entities": [r.model_dump() for r in results], "order": plan.order, "targets": plan.targets,
               "watermarks": {r.entity: r.watermark for r in results if r.watermark}, "mapping": plan.mapping_marks}
    with units() as uow:
        runs.finish_run(uow.session, run_id=plan.run_id, status=status, summary=summary)
        if plan.mode != MigrationMode.DRY_RUN:
            record_run_evidence(uow.session, plan, status, results, flow_run)
        for name in plan.order:
            resumable = runs.staged_rows_expected(uow.session, run_id=plan.run_id, entity=name) is not None
            if status != MigrationRunStatus.FAILED or not resumable:
                staging.drop_staging(uow.session, plan.run_id, name)
        uow.commit()


def export_quarantine(run_id: uuid.UUID, out_dir: str, units: UnitsOfWork) -> str | None:
    """The run's quarantined rows as CSV (reason, legacy key, file, row, raw JSON); None when there are none."""
    with units() as uow:
        return write_quarantine_csv(uow.session, run_id, out_dir)


def undo(run_id: uuid.UUID, units: UnitsOfWork, by: str) -> dict[str, int]:
    """Revert exactly what one run did; its evidence is withdrawn in the name of `by`."""
    with units() as uow:
        entities = recorded_entities(uow.session, run_id)
        reverted = runs.undo_run(uow.session, run_id=run_id, entities=[e for e in entities if e[1] in TARGETS])
        withdraw_run_evidence(uow.session, run_id, by)
        for name, _ in entities:  # an undone run is never resumed: its staging (of a failed run) goes too
            staging.drop_staging(uow.session, run_id, name)
        uow.commit()
    return reverted
