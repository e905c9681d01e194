"""Phase 1 of a migration: stream the source through transform, gate and quarantine, COPY into staging, each batch
committing with its checkpoint; then repeated keys, orphans and natural-key duplicates leave staging for the
quarantine (`check_staged`), so every entity's quarantine rate is known before anything loads.

Entities that read one file (orders and their lines from one export, say: `relations.reading_groups`) are staged
from one reading of it: each batch is parsed once and goes through each entity's transform, gate and writes in
turn. Their extract time is the first entity's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from erp_models.enums import CheckpointPhase, MigrationPhase
from erp_models.migration import references, runs, staging
from erp_models.migration.clock import PhaseClock
from erp_models.migration.gate_result import GateResult
from erp_models.migration.relational import referenced_target
from erp_models.migration.service import delta, delta_scan, quarantine
from erp_models.migration.service.behind import Behind
from erp_models.migration.service.extract import RawBatch, Unread, batches, source_columns
from erp_models.migration.service.ports import Plan, Progress
from erp_models.migration.service.relations import prepare_state
from erp_models.migration.targets import TARGETS
from erp_models.migration.transform import Batch
from erp_models.uow import UnitsOfWork

CHECKED = 0  # the 'staged' checkpoint that says repeated keys and orphans left staging


@dataclass
class StageReport:
    entity: str
    read: int = 0
    skipped: int = 0  # at or below the delta watermark: read, then left alone
    staged: int = 0
    watermark: str | None = None  # the highest among the rows staged, which are the rows that load
    gate: dict[str, Any] | None = None
    blocking: list[str] = field(default_factory=list)
    documented: bool = False  # the gate kept a batch's validation for the run's GX Data Docs
    clock: PhaseClock = field(default_factory=PhaseClock)
    checked: bool = False  # repeats and orphans have left staging (`check_staged`)
    marks: delta.LoadedMark = field(default_factory=delta.LoadedMark)


class EntityStaging:
    """One entity's phase 1, batch by batch: set up on creation, `take` each batch of its source, then `report`."""

    def __init__(self, plan: Plan, name: str, units: UnitsOfWork, progress: Progress | None) -> None:
        self.plan, self.name, self.units, self.progress = plan, name, units, progress
        self.entity = plan.mapping.entities[name]
        self.result = StageReport(name)
        with self.result.clock.phase(MigrationPhase.STAGE), units() as uow:
            self.table = staging.create_staging(uow.session, plan.run_id, name, TARGETS[self.entity.target])
            _restage_if_emptied(uow.session, plan.run_id, name, self.table)
            self.done = runs.done_batches(uow.session, run_id=plan.run_id, entity=name,
                                          phase=CheckpointPhase.STAGED)
            self.state = prepare_state(uow.session, plan.mapping, name, plan.run_id, plan.base_dir)
            uow.commit()
        self.since = delta.since_value(plan.delta_marks.get(name), self.entity)
        with self.result.clock.phase(MigrationPhase.EXTRACT):
            self.first_look = delta_scan.scan(self.entity, plan.base_dir, plan.mapping.batch_size, self.since)
        self.gate_total: GateResult | None = None

    @property
    def unread(self) -> dict[str, Unread] | None:
        return self.first_look.unread if self.first_look else None

    def take(self, batch_no: int, raw: RawBatch, writer: Behind) -> None:
        """Transform and gate one batch here; its writes go to `writer` (a batch a killed run committed is
        only counted)."""
        report, entity, clock = self.result, self.entity, self.result.clock
        with clock.phase(MigrationPhase.TRANSFORM):
            batch, skipped, marks = delta.transform_past(raw, entity, self.state, self.since,
                                                         self.first_look.carried if self.first_look else None)
        report.read += raw.rows
        report.skipped += skipped
        report.marks.offer(marks)
        if batch_no in self.done:
            report.staged += self.done[batch_no]["loaded"]
            stored = self.done[batch_no]["gate"]
            if stored is not None:  # so a resumed run reports the gate a clean run would
                self._add_gate(quarantine.gate_from_json(stored))
            return
        clean = batch.frame.drop(index=list(batch.quarantined))
        with clock.phase(MigrationPhase.GATE):
            gate = self.plan.gate(clean, entity.target, severity=dict(entity.gate.severity),
                                  disable=list(entity.gate.disable),
                                  docs_run=None if report.documented or clean.empty else str(self.plan.run_id))
        report.documented = report.documented or not clean.empty
        self._add_gate(gate)
        reasons = dict(batch.quarantined)
        for label, codes in gate.failed_rows.items():
            reasons.setdefault(int(label), []).extend(codes)
        good = batch.frame.drop(index=list(reasons))
        with clock.phase(MigrationPhase.STAGE):
            writer.submit(partial(_stage_batch, self.plan, self.name, self.table, batch_no, raw, batch, gate,
                                  reasons, good, self.units))
        report.staged += len(good)
        if self.progress:
            self.progress(self.name, CheckpointPhase.STAGED, report.read)

    def _add_gate(self, gate: GateResult) -> None:
        self.gate_total = gate if self.gate_total is None else self.gate_total.merge(gate)

    def report(self) -> StageReport:
        """The batches' outcome, once every one was taken and written."""
        report = self.result
        report.checked = CHECKED in self.done
        if self.gate_total is not None:
            report.gate = self.gate_total.to_json()
            row_level = {name for names in self.gate_total.failed_rows.values() for name in names}
            # A blocking expectation that failed without naming rows (a table-level one) blocks the entity.
            report.blocking = [f"gate {o.name}" for o in self.gate_total.blocking_failures if o.name not in row_level]
        return report


def stage_entity(plan: Plan, name: str, units: UnitsOfWork, progress: Progress | None = None, *,
                 behind: bool = True, check: bool = True) -> StageReport:
    """Phase 1 for one entity. With `behind`, each batch's writes run in a thread behind the next batch's
    transform and gate (`Behind`); never with a dry run's savepoints, which share one connection. Without
    `check`, only the batches: `check_staged` then ends the phase, once the entities whose staging its check
    reads have been staged (the batches of different entities are independent, but for `relations.fated_parents`)."""
    report = stage_entities(plan, [name], units, progress, behind=behind)[0]
    return check_staged(plan, report, units) if check else report


def stage_entities(plan: Plan, names: list[str], units: UnitsOfWork, progress: Progress | None = None, *,
                   behind: bool = True) -> list[StageReport]:
    """The batches of entities that read one source (`relations.reading_groups`), parsed once for all of them; each
    entity still needs `check_staged`, in the run's order. A delta whose first looks differ between them (they
    leave different leading batches unread) reads for each entity alone."""
    stagers = [EntityStaging(plan, name, units, progress) for name in names]
    if any(s.unread != stagers[0].unread for s in stagers):
        return [report for s in stagers for report in _stage_reading(plan, [s], behind)]
    return _stage_reading(plan, stagers, behind)


def _stage_reading(plan: Plan, stagers: list[EntityStaging], behind: bool) -> list[StageReport]:
    """One reading of the first entity's source, each batch taken by every one of `stagers` in turn."""
    first = stagers[0]
    needed = set().union(*(source_columns(s.entity) for s in stagers))
    source = first.result.clock.timed(MigrationPhase.EXTRACT, batches(
        first.entity, plan.base_dir, plan.mapping.batch_size, first.unread, needed=needed))
    with Behind(enabled=behind) as writer:
        for batch_no, raw in enumerate(source, start=1):
            for stager in stagers:
                stager.take(batch_no, raw, writer)
        with first.result.clock.phase(MigrationPhase.STAGE):
            writer.wait()  # the last batch's writes
    return [s.report() for s in stagers]


def check_staged(plan: Plan, report: StageReport, units: UnitsOfWork) -> StageReport:
    """The end of phase 1: repeats and orphans out of staging, the watermark of the rows left, default records."""
    name, entity = report.entity, plan.mapping.entities[report.entity]
    table = staging.staging_table(plan.run_id, name)
    with report.clock.phase(MigrationPhase.STAGE):
        if not report.checked:
            _check_staged(plan, name, table, units)
            report.checked = True
        if entity.watermark_column:
            with units() as uow:
                report.watermark = report.marks.highest_staged(uow.session, table)
        if _default_records(plan, name):  # rows the mapping adds count as read: read = loaded + set aside
            with units() as uow:
                added = references.count_default_records(uow.session, table)
            report.read, report.staged = report.read + added, report.staged + added
    return report


def _stage_batch(plan: Plan, name: str, table: str, batch_no: int, raw: RawBatch, batch: Batch, gate: GateResult,
                 reasons: dict[int, list[str]], good: pd.DataFrame, units: UnitsOfWork) -> None:
    """One batch's clean rows into staging and its set-aside rows into the quarantine, with its checkpoint."""
    entity, target = plan.mapping.entities[name], TARGETS[plan.mapping.entities[name].target]
    set_aside = quarantine.quarantine_rows(batch, reasons, entity, gate, raw.file)
    dropped = [quarantine.summary_row(reason, count, raw.file, batch.examples.get(reason))
               for reason, count in batch.rejected.items() if count]
    with units() as uow:
        staging.copy_batch(uow.session, table, good, target, batch_no, source=raw.file)
        runs.quarantine(uow.session, run_id=plan.run_id, entity=name, rows=set_aside + dropped)
        references.record_rejected(uow.session, plan.run_id, name, batch.rejected_keys)
        runs.checkpoint(uow.session, run_id=plan.run_id, entity=name, phase=CheckpointPhase.STAGED,
                        batch_no=batch_no, read=batch.read, loaded=len(good), quarantined=len(reasons),
                        gate=gate.to_json(include_rows=True))
        uow.commit()


def _check_staged(plan: Plan, name: str, table: str, units: UnitsOfWork) -> None:
    """Repeated keys, orphans (against the entities staged before this one) and natural-key duplicates out of
    staging."""
    entity = plan.mapping.entities[name]
    target = TARGETS[entity.target]
    before = {n: TARGETS[plan.mapping.entities[n].target] for n in plan.order[:plan.order.index(name)]}
    records = _default_records(plan, name)
    with units() as uow:
        if records:
            references.stage_default_records(uow.session, table, target, records)
        repeats, orphans = references.check_staged(
            uow.session, table, target, entity.dedupe.keep, references.key_sources(plan.run_id, name, target, before))
        runs.quarantine(uow.session, run_id=plan.run_id, entity=name,
                        rows=quarantine.orphan_rows(orphans, repeats.rows, repeats.keys))
        runs.checkpoint(uow.session, run_id=plan.run_id, entity=name, phase=CheckpointPhase.STAGED,
                        batch_no=CHECKED, quarantined=repeats.rows + len(orphans))  # rows that left staging
        uow.commit()


def _restage_if_emptied(session: Session, run_id: uuid.UUID, name: str, table: str) -> None:
    """A resumed entity whose staging holds fewer rows than its checkpoints say is staged again from scratch,
    never loaded as if complete."""
    expected = runs.staged_rows_expected(session, run_id=run_id, entity=name)
    if expected is not None and staging.emptied(session, table, expected):
        runs.forget_staging(session, run_id=run_id, entity=name)


def _default_records(plan: Plan, name: str) -> list[dict[str, str]]:
    """The default references' records this entity creates: it is the first of their target in the run."""
    target = plan.mapping.entities[name].target
    if next(n for n in plan.order if plan.mapping.entities[n].target == target) != name:
        return []
    return [c.default_reference for e in plan.mapping.entities.values() for f, c in e.columns.items()
            if c.default_reference and referenced_target(e.target, f) == target]
