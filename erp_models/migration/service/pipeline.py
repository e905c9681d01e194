"""The two phases of migrating one entity, as plain functions over units of work.

Phase 1 (`stage_entity`, in `stage`) streams the source: transform, gate, quarantine, COPY into staging, each
batch committing with its checkpoint; then repeated keys, orphans and natural-key duplicates leave staging for
the quarantine, so every entity's quarantine rate is known before anything loads. Phase 2 (`load_entity`)
resolves references to ids, then upserts batch by batch, each batch committing with its checkpoint.
Each step opens its own unit of work from the `units` the caller passes; a dry run passes savepoints of one
outer transaction, which it rolls back at the end.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from erp_models.enums import CheckpointPhase, MigrationPhase
from erp_models.migration import loader, runs, staging
from erp_models.migration.clock import PhaseClock
from erp_models.migration.service import quarantine
from erp_models.migration.service.load_batch import load_batch
from erp_models.migration.service.ports import Gate, Plan, Progress
from erp_models.migration.service.stage import CHECKED, StageReport, check_staged, stage_entities, stage_entity
from erp_models.migration.targets import TARGETS
from erp_models.uow import UnitsOfWork

__all__ = ["CHECKED", "PREPARED", "Gate", "LoadReport", "Plan", "Progress", "StageReport", "check_staged",
           "load_entity", "stage_entities", "stage_entity"]
PREPARED = 0  # the 'loaded' checkpoint that says references were resolved to ids


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

