"""Prefect tasks of the migration flow. Each opens its own units of work and returns a small summary."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from pydantic import BaseModel, Field

from erp_models.enums import MigrationMode, MigrationPhase, MigrationRunStatus
from erp_models.migration import runs, staging
from erp_models.migration.clock import PhaseClock
from erp_models.migration.gate_result import GateResult, Severity
from erp_models.migration.listing import recorded_entities
from erp_models.migration.mapping import Mapping, MappingError, entity_order, fingerprints, load_mapping
from erp_models.migration.quarantined import set_aside_counts
from erp_models.migration.service import pipeline
from erp_models.migration.service.quarantine import write_quarantine_csv
from erp_models.migration.targets import TARGETS
from expectations.docs import write_data_docs
from expectations.gate import run_gate
from expectations.suites import expectation_names, resolve_suite
from infra.db import UnitOfWork, session_factory
from infra.settings import get_settings
from tasks.migration.evidence import record_run_evidence, withdraw_run_evidence
from tasks.migration.progress import RunProgress, expected_rows


class RunPlan(BaseModel):
    """A run as `plan_run` set it up. It carries the mapping as parsed and checked then: the tasks never read
    the file again, so an edit made while the run goes on does not reach it."""

    run_id: uuid.UUID
    mapping_path: str
    mapping_name: str
    mapping: Mapping
    mode: MigrationMode
    order: list[str]
    targets: dict[str, str]
    delta_marks: dict[str, str] = Field(default_factory=dict)
    resumed: bool = False
    replaced_flow_run: uuid.UUID | None = None  # a resume's killed flow run, to be marked crashed
    out_dir: str = ".erpops/migrations"
    mapping_marks: dict[str, str] = Field(default_factory=dict)  # the mapping's fingerprints, kept with the run

    @property
    def docs_dir(self) -> Path:
        return Path(self.out_dir) / "gx-docs"


class EntityResult(BaseModel):
    entity: str
    target: str
    read: int = 0
    skipped: int = 0
    loaded: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    rejected: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    watermark: str | None = None
    gate: dict[str, Any] | None = None
    blocked_by: list[str] = Field(default_factory=list)
    reconciliation: dict[str, Any] | None = None
    seconds: dict[str, float] = Field(default_factory=dict)  # per phase (MigrationPhase), to the millisecond

    @property
    def quarantine_rate(self) -> float:
        return self.quarantined / self.read if self.read else 0.0


def gx_gate(frame: pd.DataFrame, target: str, *, severity: dict[str, Severity], disable: list[str],
            docs_run: str | None) -> GateResult:
    """The migration service's gate: the target's GX suite, less the expectations the mapping disables."""
    enabled = None if not disable else [n for n in expectation_names(target) if n not in disable]
    return run_gate(frame, target, severity=severity, enabled=enabled, docs_run=docs_run)


def _pipeline_plan(plan: RunPlan) -> pipeline.Plan:
    return pipeline.Plan(plan.run_id, plan.mapping, Path(plan.mapping_path).parent, plan.order, gx_gate,
                         plan.delta_marks)


@task
def plan_run(mapping_path: str, *, dry_run: bool, resume: bool, delta: bool, out_dir: str,
             flow_run: uuid.UUID, force: bool = False) -> RunPlan:
    """Validate the mapping, then start a run (or find the unfinished one to resume), done by `flow_run`. A resume
    whose mapping changed since its run started is refused, naming what changed, unless `force`."""
    path = Path(mapping_path).resolve()
    mapping, digest = load_mapping(path)
    marks_of_mapping = fingerprints(mapping)
    order = entity_order(mapping)
    for name, entity in mapping.entities.items():
        unknown = [n for n in entity.gate.disable if n not in expectation_names(entity.target)]
        try:
            if unknown:
                raise ValueError(f"unknown expectation {unknown[0]!r} for {entity.target}")
            resolve_suite(entity.target, severity=entity.gate.severity)
        except ValueError as exc:
            raise MappingError(f"{path}: entities.{name}.gate: {exc}") from None
    mode = MigrationMode.DRY_RUN if dry_run else MigrationMode.DELTA if delta else MigrationMode.LOAD
    with UnitOfWork() as uow:
        marks = runs.last_watermarks(uow.session, mapping=mapping) if delta else {}
        found = runs.resumable_run(uow.session, mapping_name=mapping.name) if resume else None
        if resume and found is None:
            from infra.errors import ErpopsError

            raise ErpopsError(f"{path}: no unfinished run of mapping {mapping.name!r} to resume")
        if found is not None:
            run_id, mode = found
            changed = runs.check_same_mapping(uow.session, run_id, digest=digest, marks=marks_of_mapping, force=force)
            if changed is not None:
                print(f"resuming run {run_id} with a changed mapping (--force): {changed}")
        else:
            run_id = runs.start_run(uow.session, mapping_name=mapping.name, mapping_hash=digest, mode=mode)
            runs.finish_run(uow.session, run_id=run_id, status=MigrationRunStatus.RUNNING, summary={
                "order": order, "targets": {n: mapping.entities[n].target for n in order},
                "mapping": marks_of_mapping})
        replaced = runs.swap_flow_run(uow.session, run_id=run_id, flow_run_id=flow_run)
        uow.commit()
    return RunPlan(run_id=run_id, mapping_path=str(path), mapping_name=mapping.name, mapping=mapping, mode=mode,
                   order=order,
                   targets={n: mapping.entities[n].target for n in order}, delta_marks=marks,
                   resumed=found is not None, out_dir=out_dir, replaced_flow_run=replaced,
                   mapping_marks=marks_of_mapping)



def _entity_result(session: Any, plan: RunPlan, name: str, stage: pipeline.StageReport) -> EntityResult:
    quarantined, rejected, reasons = set_aside_counts(session, plan.run_id, name)
    return EntityResult(entity=name, target=plan.targets[name], read=stage.read, skipped=stage.skipped,
                        quarantined=quarantined, rejected=rejected, reasons=dict(reasons), watermark=stage.watermark,
                        gate=stage.gate, blocked_by=list(stage.blocking), seconds=stage.clock.summary())


def _reporter(plan: RunPlan, progress_id: uuid.UUID | None, step: int, expected: int) -> pipeline.Progress:
    """Progress of step `step` of the run's 2 × entities steps, for the CLI's bars and the artifact."""
    progress = RunProgress(progress_id, 2 * len(plan.order))
    progress.done_steps = step
    return lambda entity, phase, rows: progress.update(entity, phase, rows, expected)


def _blocked(result: EntityResult, plan: pipeline.Plan) -> list[str]:
    limit = plan.mapping.entities[result.entity].gate.max_quarantine_rate
    reasons = list(result.blocked_by)
    if result.quarantine_rate > limit:
        reasons.append(f"quarantine rate {result.quarantine_rate:.4f} > {limit}")
    return reasons


@task(task_run_name="stage_entity[{entity}]")
def stage_entity(plan: RunPlan, entity: str, progress_id: uuid.UUID | None = None,
                 step: int = 0) -> EntityResult:
    """Phase 1: extract, transform, gate, quarantine and COPY into staging, batch by batch."""
    p = _pipeline_plan(plan)
    expected = expected_rows(p.mapping, p.base_dir, entity)
    report = pipeline.stage_entity(p, entity, pipeline.uow_tx(session_factory()),
                                   _reporter(plan, progress_id, step, expected))
    with UnitOfWork() as uow:
        result = _entity_result(uow.session, plan, entity, report)
    result.blocked_by = _blocked(result, p)
    return result


@task
def write_docs(plan: RunPlan) -> str | None:
    """GX Data Docs of the validations the gate kept while staging (an entity's first batch), rendered once
    per run (not once per entity).

    Evidence only: the flow runs this in a thread while the entities load, and a failure is just logged."""
    index = write_data_docs(plan.docs_dir, str(plan.run_id))  # None: nothing staged in this process (a resume
    # past staging); the docs there are stay
    return None if index is None else str(index)


@task(task_run_name="load_entity[{staged.entity}]")
def load_entity(plan: RunPlan, staged: EntityResult, progress_id: uuid.UUID | None = None,
                step: int = 0) -> EntityResult:
    """Phase 2: drop duplicate keys, quarantine orphans, upsert through the legacy-key map, reconcile."""
    p = _pipeline_plan(plan)
    outcome = pipeline.load_entity(p, staged.entity, pipeline.uow_tx(session_factory()),
                                   _reporter(plan, progress_id, step, staged.read),
                                   workers=get_settings().migration_load_workers)
    with UnitOfWork() as uow:
        quarantined, rejected, reasons = set_aside_counts(uow.session, plan.run_id, staged.entity)
    return _with_load(staged, outcome, quarantined, rejected, dict(reasons), p)


def _with_load(staged: EntityResult, outcome: pipeline.LoadReport, quarantined: int, rejected: int,
               reasons: dict[str, int], plan: pipeline.Plan) -> EntityResult:
    recon = outcome.reconciliation
    clock = PhaseClock({MigrationPhase(k): v for k, v in staged.seconds.items()})
    clock.add(outcome.clock.seconds)
    result = staged.model_copy(update={
        "loaded": outcome.loaded, "inserted": outcome.inserted, "updated": outcome.updated,
        "unchanged": outcome.unchanged, "quarantined": quarantined, "rejected": rejected, "reasons": reasons,
        "seconds": clock.summary(),
        "reconciliation": {"ok": recon.ok and staged.read - staged.skipped == outcome.loaded + quarantined
                           + rejected, "staged": recon.staged, "in_erp": recon.in_erp,
                           "sums": {k: {"source": a, "erp": b} for k, (a, b) in recon.sums.items()},
                           "differences": recon.differences() + _count_difference(staged, outcome, quarantined,
                                                                                  rejected)},
    })
    result.blocked_by = _blocked(result, plan)
    return result


def _count_difference(staged: EntityResult, outcome: pipeline.LoadReport, quarantined: int,
                      rejected: int) -> list[str]:
    accounted = outcome.loaded + quarantined + rejected
    source = staged.read - staged.skipped
    return [] if source == accounted else [
        f"{source} source rows but loaded {outcome.loaded} + quarantined {quarantined} + rejected {rejected}"]


class DryRun(BaseModel):
    results: list[EntityResult]
    quarantine_csv: str | None = None


@task
def dry_run_entities(plan: RunPlan) -> DryRun:
    """Everything a load does, in one transaction that is rolled back at the end.

    The quarantine CSV is written before the rollback: it shows what a load would set aside."""
    p = _pipeline_plan(plan)
    results = []
    with session_factory()() as session:
        tx = pipeline.shared_tx(session)
        for name in plan.order:
            staged = _entity_result(session, plan, name, pipeline.stage_entity(p, name, tx))
            staged.blocked_by = _blocked(staged, p)
            if staged.blocked_by:
                results.append(staged)
                break
            outcome = pipeline.load_entity(p, name, tx)
            quarantined, rejected, reasons = set_aside_counts(session, plan.run_id, name)
            results.append(_with_load(staged, outcome, quarantined, rejected, dict(reasons), p))
        csv_path = write_quarantine_csv(session, plan.run_id, plan.out_dir)
        session.rollback()
    return DryRun(results=results, quarantine_csv=csv_path)


@task
def finish_run(plan: RunPlan, status: MigrationRunStatus, results: list[EntityResult], flow_run: str) -> None:
    """Record the outcome, leave evidence for milestone gates, drop the staging tables."""
    summary = {"entities": [r.model_dump() for r in results], "order": plan.order, "targets": plan.targets,
               "watermarks": {r.entity: r.watermark for r in results if r.watermark}, "mapping": plan.mapping_marks}
    with UnitOfWork() as uow:
        runs.finish_run(uow.session, run_id=plan.run_id, status=status, summary=summary)
        if plan.mode != MigrationMode.DRY_RUN:
            record_run_evidence(uow.session, plan, status, results, flow_run)
        for name in plan.order:  # a failed run keeps what it staged, for --resume
            resumable = runs.staged_rows_expected(uow.session, run_id=plan.run_id, entity=name) is not None
            if status != MigrationRunStatus.FAILED or not resumable:
                staging.drop_staging(uow.session, plan.run_id, name)
        uow.commit()


@task
def export_quarantine(run_id: uuid.UUID, out_dir: str) -> str | None:
    """The run's quarantined rows as CSV (reason, legacy key, file, row, raw JSON); None when there are none."""
    with UnitOfWork() as uow:
        return write_quarantine_csv(uow.session, run_id, out_dir)


@task
def undo_run(run_id: uuid.UUID) -> dict[str, int]:
    """Revert exactly what one run did."""
    with UnitOfWork() as uow:
        entities = recorded_entities(uow.session, run_id)
        reverted = runs.undo_run(uow.session, run_id=run_id, entities=[e for e in entities if e[1] in TARGETS])
        withdraw_run_evidence(uow.session, run_id)
        for name, _ in entities:  # an undone run is never resumed: its staging (of a failed run) goes too
            staging.drop_staging(uow.session, run_id, name)
        uow.commit()
    return reverted
