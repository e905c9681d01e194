"""The two phases of migrating one entity, as plain functions over units of work.

Phase 1 (`stage_entity`) streams the source: transform, gate, quarantine, COPY into staging, each batch
committing with its checkpoint; then repeated keys, orphans and natural-key duplicates leave staging for
the quarantine, so every entity's quarantine rate is known before anything loads. Phase 2 (`load_entity`)
resolves references to ids, then upserts batch by batch, each batch committing with its checkpoint.
Each step opens its own unit of work from the `units` the caller passes; a dry run passes savepoints of one
outer transaction, which it rolls back at the end.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from sqlalchemy.orm import Session

from erp_models.enums import CheckpointPhase, MigrationPhase
from erp_models.migration import loader, references, runs, staging
from erp_models.migration.clock import PhaseClock
from erp_models.migration.gate_result import GateResult, Severity
from erp_models.migration.mapping import Entity, Mapping
from erp_models.migration.relational import referenced_target
from erp_models.migration.service import delta, delta_scan, quarantine
from erp_models.migration.service.behind import Behind
from erp_models.migration.service.extract import RawBatch, batches
from erp_models.migration.service.load_batch import load_batch
from erp_models.migration.service.relations import prepare_state
from erp_models.migration.targets import TARGETS
from erp_models.migration.transform import Batch
from erp_models.uow import UnitsOfWork

PREPARED = 0  # the 'loaded' checkpoint that says references were resolved to ids
CHECKED = 0  # the 'staged' checkpoint that says repeated keys and orphans left staging
Progress = Callable[[str, str, int], None]  # entity, phase, rows done


class Gate(Protocol):
    """Validates a batch of a target's transformed rows: which rows to quarantine, and why. ``disable`` names
    expectations left out; ``docs_run`` keeps the validation for that run's Data Docs. `check` vets a mapping's
    gate settings before a run starts."""

    def __call__(self, frame: pd.DataFrame, target: str, *, severity: dict[str, Severity], disable: list[str],
                 docs_run: str | None) -> GateResult: ...

    def check(self, target: str, *, severity: dict[str, Severity], disable: list[str]) -> None:
        """Raise ValueError, in one line, when the mapping's gate settings do not fit the target's suite."""


@dataclass
class Plan:
    run_id: uuid.UUID
    mapping: Mapping
    base_dir: Path
    order: list[str]
    gate: Gate
    delta_marks: dict[str, str] = field(default_factory=dict)  # entity -> the watermark a delta starts from


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


def stage_entity(plan: Plan, name: str, units: UnitsOfWork, progress: Progress | None = None, *,
                 behind: bool = True, check: bool = True) -> StageReport:
    """Phase 1 for one entity. With `behind`, each batch's writes run in a thread behind the next batch's
    transform and gate (`Behind`); never with a dry run's savepoints, which share one connection. Without
    `check`, only the batches: `check_staged` then ends the phase, once the entities whose staging its check
    reads have been staged (the batches of different entities are independent, but for `relations.fated_parents`)."""
    entity: Entity = plan.mapping.entities[name]
    target = TARGETS[entity.target]
    report = StageReport(name)
    clock = report.clock
    with clock.phase(MigrationPhase.STAGE), units() as uow:
        table = staging.create_staging(uow.session, plan.run_id, name, target)
        _restage_if_emptied(uow.session, plan.run_id, name, table)
        done = runs.done_batches(uow.session, run_id=plan.run_id, entity=name, phase=CheckpointPhase.STAGED)
        state = prepare_state(uow.session, plan.mapping, name, plan.run_id, plan.base_dir)
        uow.commit()
    gate_total: GateResult | None = None
    since = delta.since_value(plan.delta_marks.get(name), entity)
    with clock.phase(MigrationPhase.EXTRACT):
        first_look = delta_scan.scan(entity, plan.base_dir, plan.mapping.batch_size, since)
    loaded_mark = report.marks
    unread = first_look.unread if first_look else None
    source = clock.timed(MigrationPhase.EXTRACT, batches(entity, plan.base_dir, plan.mapping.batch_size, unread))
    with Behind(enabled=behind) as writer:
        for batch_no, raw in enumerate(source, start=1):
            with clock.phase(MigrationPhase.TRANSFORM):
                batch, skipped, marks = delta.transform_past(raw, entity, state, since,
                                                             first_look.carried if first_look else None)
            report.read += raw.rows
            report.skipped += skipped
            loaded_mark.offer(marks)
            if batch_no in done:
                report.staged += done[batch_no]["loaded"]
                stored = done[batch_no]["gate"]
                if stored is not None:  # so a resumed run reports the gate a clean run would
                    gate_done = quarantine.gate_from_json(stored)
                    gate_total = gate_done if gate_total is None else gate_total.merge(gate_done)
                continue
            clean = batch.frame.drop(index=list(batch.quarantined))
            with clock.phase(MigrationPhase.GATE):
                gate = plan.gate(clean, entity.target, severity=dict(entity.gate.severity),
                                 disable=list(entity.gate.disable),
                                 docs_run=None if report.documented or clean.empty else str(plan.run_id))
            report.documented = report.documented or not clean.empty
            gate_total = gate if gate_total is None else gate_total.merge(gate)
            reasons = dict(batch.quarantined)
            for label, codes in gate.failed_rows.items():
                reasons.setdefault(int(label), []).extend(codes)
            good = batch.frame.drop(index=list(reasons))
            with clock.phase(MigrationPhase.STAGE):
                writer.submit(partial(_stage_batch, plan, name, table, batch_no, raw, batch, gate, reasons, good,
                                      units))
            report.staged += len(good)
            if progress:
                progress(name, CheckpointPhase.STAGED, report.read)
        with clock.phase(MigrationPhase.STAGE):
            writer.wait()  # the last batch's writes
    report.checked = CHECKED in done
    if gate_total is not None:
        report.gate = gate_total.to_json()
        row_level = {name for names in gate_total.failed_rows.values() for name in names}
        # A blocking expectation that failed without naming rows (a table-level one) blocks the entity.
        report.blocking = [f"gate {o.name}" for o in gate_total.blocking_failures if o.name not in row_level]
    return check_staged(plan, report, units) if check else report


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


@dataclass
class LoadReport:
    inserted: int
    updated: int
    unchanged: int
    reconciliation: runs.Reconciliation
    clock: PhaseClock

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


def load_entity(plan: Plan, name: str, units: UnitsOfWork, progress: Progress | None = None,
                workers: int = 1, pool: Executor | None = None) -> LoadReport:
    """Phase 2 for one entity; returns its counts, reconciliation and time per phase.

    With `workers` > 1 that many batches load at once, each in its own unit of work (never with a dry run's
    savepoints: they are one connection); with `pool` (Dask workers, say), the batches load there instead.
    Opening stock always loads one batch at a time here: each posts to the ledger on from the entries before it."""
    entity = plan.mapping.entities[name]
    target = TARGETS[entity.target]
    table = staging.staging_table(plan.run_id, name)
    clock = PhaseClock()
    with clock.phase(MigrationPhase.RESOLVE), units() as uow:
        session = uow.session
        done = runs.done_batches(session, run_id=plan.run_id, entity=name, phase=CheckpointPhase.LOADED)
        if PREPARED not in done:
            orphans = staging.prepare(session, table, target)
            if not target.posts_to_ledger:
                loader.assign_ids(session, table=table, target=target, entity=name, run_id=plan.run_id)
            runs.quarantine(session, run_id=plan.run_id, entity=name, rows=quarantine.orphan_rows(orphans))
            runs.checkpoint(session, run_id=plan.run_id, entity=name, phase=CheckpointPhase.LOADED, batch_no=PREPARED,
                            quarantined=len(orphans))  # rows that left staging
        batch_numbers = staging.staged_batches(session, table)
        uow.commit()
    finished = [done[b] for b in batch_numbers if b in done]  # by a run that was killed: counted as it did them
    inserted, updated = sum(c["inserted"] for c in finished), sum(c["updated"] for c in finished)
    totals = loader.Upserted(inserted, updated, sum(c["loaded"] for c in finished) - inserted - updated)
    pending = [b for b in batch_numbers if b not in done]
    load = partial(load_batch, plan.run_id, name, entity.target, frozenset(entity.columns), units)
    threads = 1 if target.posts_to_ledger or pool is not None else min(workers, len(pending))
    with clock.phase(MigrationPhase.UPSERT), \
            ThreadPoolExecutor(max_workers=threads) if threads > 1 else nullcontext() as own:
        if own is not None:  # each batch in a copy of this thread's context: the database in scope is one
            futures = [own.submit(contextvars.copy_context().run, load, b) for b in pending]
        elif pool is not None and not target.posts_to_ledger:
            futures = [pool.submit(load, b) for b in pending]
        else:
            futures = None
        try:
            for result in map(load, pending) if futures is None else (f.result() for f in futures):
                totals = loader.Upserted(totals.inserted + result.inserted, totals.updated + result.updated,
                                         totals.unchanged + result.unchanged)
                if progress:  # from this thread only, in batch order
                    progress(name, CheckpointPhase.LOADED, totals.loaded)
        except BaseException:
            for future in futures or []:  # batches not started stay for --resume; those running finish
                future.cancel()
            raise
    with clock.phase(MigrationPhase.UPSERT), units() as uow:
        loader.link_self_refs(uow.session, table=table, target=target, entity=name)
        loader.refresh_statistics(uow.session, target, totals.inserted)
        uow.commit()
    with clock.phase(MigrationPhase.RECONCILE), units() as uow:
        reconciliation = runs.reconcile(uow.session, table=table, target=target, entity=name,
                                        mapped=set(entity.columns))
    return LoadReport(totals.inserted, totals.updated, totals.unchanged, reconciliation, clock)

