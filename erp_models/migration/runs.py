"""Migration runs: their record, batch checkpoints, the quarantine, reconciliation and undo."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from erp_models.enums import LOADING_MODES, UNFINISHED_MIGRATION, CheckpointPhase, MigrationMode, MigrationRunStatus
from erp_models.errors import Conflict, NotFound
from erp_models.migration import watermark
from erp_models.migration.loader import written_columns
from erp_models.migration.mapping import Mapping, changes_between
from erp_models.migration.models import QuarantinedRow
from erp_models.migration.targets import TARGETS, Target, stored_fields


def start_run(session: Session, *, mapping_name: str, mapping_hash: str, mode: MigrationMode) -> uuid.UUID:
    run_id = uuid.uuid4()
    session.execute(text("""INSERT INTO migration_runs (id, mapping_name, mapping_hash, mode, status) VALUES
        (:id, :name, :hash, :mode, :status)"""), {"id": run_id, "name": mapping_name, "hash": mapping_hash,
                                                   "mode": MigrationMode(mode), "status": MigrationRunStatus.RUNNING})
    return run_id


def finish_run(session: Session, *, run_id: uuid.UUID, status: MigrationRunStatus, summary: dict[str, Any]) -> None:
    """Record a run's status and summary; it is finished (`finished_at`) unless it is still running."""
    session.execute(text("""UPDATE migration_runs SET status = CAST(:st AS varchar), summary = CAST(:s AS jsonb),
        finished_at = CASE WHEN :running THEN NULL ELSE now() END WHERE id = :id"""),
                    {"st": MigrationRunStatus(status), "running": status == MigrationRunStatus.RUNNING,
                     "s": json.dumps(summary, default=str), "id": run_id})


def started_with(session: Session, run_id: uuid.UUID) -> tuple[str, dict[str, str] | None]:
    """The hash of the mapping file a run started with, and its entities' fingerprints (None for a run recorded
    before they were kept)."""
    row = session.execute(text("SELECT mapping_hash, summary -> 'mapping' FROM migration_runs WHERE id = :r"),
                          {"r": run_id}).one()
    return str(row[0]), row[1]


def use_mapping(session: Session, run_id: uuid.UUID, *, digest: str, marks: dict[str, str]) -> None:
    """A resumed run goes on with this mapping (`--force` after it changed): the next resume compares with it."""
    session.execute(text("""UPDATE migration_runs SET mapping_hash = :h, summary = coalesce(summary, '{}'::jsonb)
        || jsonb_build_object('mapping', CAST(:m AS jsonb)) WHERE id = :r"""),
                    {"h": digest, "m": json.dumps(marks), "r": run_id})


def check_same_mapping(session: Session, run_id: uuid.UUID, *, digest: str, marks: dict[str, str],
                       force: bool) -> str | None:
    """A resume goes on with the mapping its run started with (its staged rows and ids came from it): Conflict naming
    what changed, unless `force`, which goes on with the new one and remembers it. What changed, when it did."""
    started, before = started_with(session, run_id)
    if started == digest:
        return None
    changed = "; ".join(changes_between(before, marks) if before else []) or "the file's text differs"
    if not force:
        raise Conflict(f"the mapping changed since run {run_id} started ({changed}); resuming would load rows staged "
                       f"under the old rules with the new ones. Undo it (`erpops migrate --undo {run_id}`) and load "
                       "anew, or pass --force to resume with the new mapping")
    use_mapping(session, run_id, digest=digest, marks=marks)
    return changed


def resumable_run(session: Session, *, mapping_name: str,
                  done_by: uuid.UUID | None = None) -> tuple[uuid.UUID, MigrationMode] | None:
    """The newest load of this mapping if unfinished (killed, failed), with its mode; with `done_by`, only if that
    flow run did it. An older unfinished run is never picked: a later load superseded it."""
    row = session.execute(text("""SELECT id, mode, status, flow_run_id FROM migration_runs WHERE mapping_name = :n
                                  AND mode = ANY(:modes) ORDER BY started_at DESC LIMIT 1"""),
                          {"n": mapping_name, "modes": LOADING_MODES}).one_or_none()
    found = row is not None and row[2] in UNFINISHED_MIGRATION and done_by in (None, row[3])
    return (row[0], MigrationMode(row[1])) if found and row is not None else None


def watermark_history(session: Session, *, mapping_name: str) -> list[watermark.RunMarks]:
    """The load and delta runs of this mapping that passed (and whether and when each was undone)."""
    rows = session.execute(text("""SELECT id, mode, status, started_at, finished_at,
        (summary -> 'undone' ->> 'at')::timestamptz, summary -> 'undone' ->> 'status', summary -> 'watermarks'
        FROM migration_runs WHERE mapping_name = :n AND mode = ANY(:modes)
        AND (status = :passed OR (status = :undone AND summary ? 'undone')) ORDER BY started_at"""),
                           {"n": mapping_name, "modes": [*LOADING_MODES, MigrationMode.RESUME],
                            "passed": MigrationRunStatus.PASSED, "undone": MigrationRunStatus.UNDONE}).all()
    history = []
    for run_id, mode, status, started, finished, undone_at, before_undo, marks in rows:
        passed = MigrationRunStatus.PASSED in (status, before_undo)
        delta = mode == MigrationMode.DELTA
        history.append(watermark.RunMarks(run_id, delta, started, finished if passed else None, undone_at,
                                          {str(k): str(v) for k, v in (marks or {}).items() if v is not None}))
    return history


def last_watermarks(session: Session, *, mapping: Mapping) -> dict[str, str]:
    """Per entity, the watermark a delta run of `mapping` starts from (`watermark.in_force`)."""
    return watermark.in_force(watermark_history(session, mapping_name=mapping.name), mapping)


class BatchCheckpoint(TypedDict):
    """What a committed batch did: a resumed run reports these for the batches it skips."""

    read: int
    loaded: int
    quarantined: int
    inserted: int  # of loaded (phase 'loaded'); the rest of loaded was updated or unchanged
    updated: int
    gate: dict[str, Any] | None  # phase 'staged': the batch's gate result, with its failed rows


def done_batches(session: Session, *, run_id: uuid.UUID, entity: str,
                 phase: CheckpointPhase) -> dict[int, BatchCheckpoint]:
    rows = session.execute(text("""SELECT batch_no, rows_read, rows_loaded, rows_quarantined, rows_inserted,
        rows_updated, gate FROM migration_checkpoints WHERE run_id = :r AND entity = :e AND phase = :p"""),
                           {"r": run_id, "e": entity, "p": phase}).all()
    return {int(b): BatchCheckpoint(read=int(r), loaded=int(lo), quarantined=int(q), inserted=int(i),
                                    updated=int(u), gate=g) for b, r, lo, q, i, u, g in rows}


def checkpoint(session: Session, *, run_id: uuid.UUID, entity: str, phase: CheckpointPhase, batch_no: int,
               read: int = 0, loaded: int = 0, quarantined: int = 0, inserted: int = 0, updated: int = 0,
               gate: dict[str, Any] | None = None) -> None:
    session.execute(text("""INSERT INTO migration_checkpoints (run_id, entity, phase, batch_no, rows_read,
        rows_loaded, rows_quarantined, rows_inserted, rows_updated, gate)
        VALUES (:r, :e, :p, :b, :rd, :lo, :q, :i, :u, CAST(:g AS jsonb))"""),
                    {"r": run_id, "e": entity, "p": phase, "b": batch_no, "rd": read, "lo": loaded, "q": quarantined,
                     "i": inserted, "u": updated, "g": None if gate is None else json.dumps(gate, default=str)})


def swap_flow_run(session: Session, *, run_id: uuid.UUID, flow_run_id: uuid.UUID) -> uuid.UUID | None:
    """Record the flow run now doing `run_id`; returns the one it replaces (a resume's killed run), if another."""
    before = session.execute(text("SELECT flow_run_id FROM migration_runs WHERE id = :r FOR UPDATE"),
                             {"r": run_id}).scalar_one_or_none()
    session.execute(text("UPDATE migration_runs SET flow_run_id = :f WHERE id = :r"), {"f": flow_run_id, "r": run_id})
    return before if before is not None and before != flow_run_id else None


def staged_rows_expected(session: Session, *, run_id: uuid.UUID, entity: str) -> int | None:
    """How many rows the entity's staging table holds if nothing emptied it; None before anything was staged.

    Batches add what they copied; checking (batch 0 of 'staged') and preparing (batch 0 of 'loaded') take out
    what they set aside, as their checkpoints record."""
    row = session.execute(text("""SELECT count(*) FILTER (WHERE phase = 'staged'),
        coalesce(sum(CASE WHEN phase = 'staged' AND batch_no > 0 THEN rows_loaded ELSE 0 END), 0)
        - coalesce(sum(CASE WHEN batch_no = 0 THEN rows_quarantined ELSE 0 END), 0)
        FROM migration_checkpoints WHERE run_id = :r AND entity = :e"""), {"r": run_id, "e": entity}).one()
    return None if int(row[0]) == 0 else int(row[1])


def forget_staging(session: Session, *, run_id: uuid.UUID, entity: str) -> None:
    """Start an entity's staging over (its staging table was emptied): its staged checkpoints, its quarantine
    and its id reservation go, so it is staged, checked and prepared again. Loaded batches stay loaded."""
    params = {"r": run_id, "e": entity}
    session.execute(text("""DELETE FROM migration_checkpoints WHERE run_id = :r AND entity = :e
                            AND (phase = 'staged' OR batch_no = 0)"""), params)
    session.execute(text("DELETE FROM quarantined_rows WHERE run_id = :r AND entity = :e"), params)
    session.execute(text("DELETE FROM migration_id_reservations WHERE run_id = :r AND entity = :e"), params)


def quarantine(session: Session, *, run_id: uuid.UUID, entity: str, rows: Sequence[dict[str, Any]]) -> None:
    """rows: legacy_key, reason_code, detail, raw (dict), source_file, source_row."""
    if rows:
        session.execute(insert(QuarantinedRow), [{"run_id": run_id, "entity": entity, **r} for r in rows])


@dataclass
class Reconciliation:
    entity: str
    staged: int
    in_erp: int
    sums: dict[str, tuple[int, int]] = field(default_factory=dict)  # field -> (source, ERP)
    mismatched_keys: list[str] = field(default_factory=list)
    mismatched: int = 0

    @property
    def ok(self) -> bool:
        return self.staged == self.in_erp and self.mismatched == 0 and all(a == b for a, b in self.sums.values())

    def differences(self) -> list[str]:
        out = [] if self.staged == self.in_erp else [f"{self.staged} staged rows but {self.in_erp} in the ERP"]
        out += [f"sum of {f}: source {a}, ERP {b}" for f, (a, b) in self.sums.items() if a != b]
        out += [f"content differs for legacy key {k}" for k in self.mismatched_keys]
        return out


def reconcile(session: Session, *, table: str, target: Target, entity: str, mapped: Collection[str]) -> Reconciliation:
    """Compare what was staged with what the ERP now holds under the same legacy keys."""
    if not target.posts_to_ledger:
        return _reconcile_rows(session, table=table, target=target, entity=entity, mapped=mapped)
    join = f"""FROM {table} s JOIN legacy_key_map m ON m.entity = :e AND m.legacy_key = s.legacy_key
               JOIN stock_ledger t ON t.id = m.target_id"""
    # An opening quantity of zero posts nothing to the ledger, so it has no ERP row to compare.
    staged = int(session.execute(text(f"SELECT count(*) FROM {table} WHERE qty <> 0")).scalar_one())
    in_erp = int(session.execute(text(f"SELECT count(*) {join}"), {"e": entity}).scalar_one())
    result = Reconciliation(entity, staged, in_erp)
    source = session.execute(text(f"SELECT coalesce(sum(qty), 0) FROM {table}")).scalar_one()
    erp_total = session.execute(text(f"""SELECT coalesce(sum(l.qty_delta), 0) FROM {table} s
        JOIN legacy_key_map m ON m.entity = :e AND m.legacy_key = s.legacy_key
        JOIN stock_ledger l ON l.ref_type = 'migration' AND l.ref_id = m.target_id"""), {"e": entity}).scalar_one()
    result.sums["qty"] = (int(source), int(erp_total))
    return result


def _reconcile_rows(session: Session, *, table: str, target: Target, entity: str,
                    mapped: Collection[str]) -> Reconciliation:
    """Counts, sums and the row-by-row comparison in one pass over staging, the map and the ERP table.

    A staged amount counts when its ERP row exists or when its key is not in the map at all (then the sums
    differ, as they should); a mapped key whose ERP row is gone is the count's difference."""
    session.execute(text("SET LOCAL jit = off"))  # compiling costs more than this single scan saves
    columns = written_columns(target, mapped)
    erp_row = ", ".join(f't."{c.erp}"' for c in columns)
    differs = f"ROW({', '.join(c.value('s') for c in columns)}) IS DISTINCT FROM ROW({erp_row})"
    sums = []
    for name in target.sums:
        column = target.field(name).target_column
        sums += [f'coalesce(sum(s."{name}") FILTER (WHERE t.id IS NOT NULL OR m.target_id IS NULL), 0)',
                 f'coalesce(sum(t."{column}"), 0)']
    join = f"""FROM {table} s LEFT JOIN legacy_key_map m ON m.entity = :e AND m.legacy_key = s.legacy_key
               LEFT JOIN "{target.table}" t ON t.id = m.target_id"""
    row = session.execute(text(f"""SELECT count(*), count(t.id), count(*) FILTER (WHERE t.id IS NOT NULL AND
        {differs}) {''.join(', ' + s for s in sums)} {join}"""), {"e": entity}).one()
    result = Reconciliation(entity, int(row[0]), int(row[1]), mismatched=int(row[2]))
    for n, name in enumerate(target.sums):
        result.sums[name] = (int(row[3 + 2 * n]), int(row[4 + 2 * n]))
    if result.mismatched:
        result.mismatched_keys = list(session.execute(text(
            f"SELECT s.legacy_key {join} WHERE t.id IS NOT NULL AND {differs} ORDER BY 1 LIMIT 20"),
            {"e": entity}).scalars())
    return result


def undo_run(session: Session, *, run_id: uuid.UUID, entities: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Revert what `run_id` did, entity by entity in reverse load order: (entity, target) pairs in load order.

    Only the newest load of each entity can be undone, so no later run's work is lost."""
    status = session.execute(text("SELECT status FROM migration_runs WHERE id = :r FOR UPDATE"),
                             {"r": run_id}).scalar_one_or_none()
    if status is None:
        raise NotFound(f"no migration run {run_id}")
    if status == MigrationRunStatus.UNDONE:
        raise Conflict(f"migration run {run_id} was undone already")
    later = session.execute(text("""SELECT DISTINCT m.last_run_id FROM legacy_key_map m
        WHERE m.last_run_id <> :r AND (m.first_run_id = :r OR EXISTS (SELECT 1 FROM migration_changes c
              WHERE c.run_id = :r AND c.table_name = 'legacy_key_map' AND c.row_id = m.id))"""),
        {"r": run_id}).scalars().first()
    if later is not None:
        raise Conflict(f"run {later} changed the same records later; undo it first")
    session.execute(text("SET LOCAL erpops.ledger_maintenance = 'on'"))
    reverted: dict[str, int] = {}
    for entity, target_name in reversed(list(entities)):
        try:
            with session.begin_nested():
                reverted[entity] = _undo_entity(session, run_id, entity, TARGETS[target_name])
        except IntegrityError as exc:
            diag = getattr(exc.orig, "diag", None)
            raise Conflict(f"cannot undo {entity}: its rows are now referenced from "
                           f"{getattr(diag, 'table_name', 'another table')} (constraint "
                           f"{getattr(diag, 'constraint_name', '?')}); nothing was undone") from None
    # When, and from which status: the watermark in force goes back to where this run started (watermark.in_force).
    session.execute(text("""UPDATE migration_runs SET status = :undone, summary = coalesce(summary, '{}'::jsonb)
        || jsonb_build_object('undone', jsonb_build_object('at', now(), 'status', status)) WHERE id = :r"""),
        {"r": run_id, "undone": MigrationRunStatus.UNDONE})
    return reverted


def _undo_entity(session: Session, run_id: uuid.UUID, entity: str, target: Target) -> int:
    params = {"r": run_id, "e": entity}
    if target.posts_to_ledger:
        session.execute(text("""WITH gone AS (DELETE FROM stock_ledger WHERE id IN (SELECT row_id FROM migration_changes
                                WHERE run_id = :r AND entity = :e AND table_name = 'stock_ledger')
                                RETURNING sku_id, warehouse_id, qty_delta)
            UPDATE stock_levels s SET on_hand = s.on_hand - g.total, version = s.version + 1
            FROM (SELECT sku_id, warehouse_id, sum(qty_delta) AS total FROM gone GROUP BY 1, 2) g
            WHERE s.sku_id = g.sku_id AND s.warehouse_id = g.warehouse_id"""), params)
        # Stock rows that only the migration's opening balance created go with it.
        touched = int(session.execute(text("""DELETE FROM stock_levels s WHERE on_hand = 0 AND reserved = 0
            AND NOT EXISTS (SELECT 1 FROM stock_ledger l WHERE l.sku_id = s.sku_id
                            AND l.warehouse_id = s.warehouse_id)""")).rowcount or 0)  # type: ignore[attr-defined]
    else:
        erp = f'"{target.table}"'
        cols = [f'"{c.target_column}"' for c in stored_fields(target)]
        cols += [f'"{r.column}"' for r in target.refs]
        restored = session.execute(text(f"""UPDATE {erp} t SET ({', '.join(cols)}) = (SELECT {', '.join(cols)}
            FROM jsonb_populate_record(NULL::{erp}, c.before)) FROM migration_changes c
            WHERE c.run_id = :r AND c.entity = :e AND c.table_name = '{target.table}' AND c.row_id = t.id"""), params)
        deleted = session.execute(text(f"""DELETE FROM {erp} WHERE id IN (SELECT target_id FROM legacy_key_map
            WHERE entity = :e AND first_run_id = :r) AND id NOT IN (SELECT row_id FROM migration_changes
            WHERE run_id = :r AND entity = :e AND table_name = '{target.table}')"""), params)
        touched = int(restored.rowcount or 0) + int(deleted.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(text("""UPDATE legacy_key_map m SET (target_id, row_hash, last_run_id) =
        (SELECT target_id, row_hash, last_run_id FROM jsonb_populate_record(NULL::legacy_key_map, c.before))
        FROM migration_changes c WHERE c.run_id = :r AND c.entity = :e AND c.table_name = 'legacy_key_map'
        AND c.row_id = m.id"""), params)
    session.execute(text("DELETE FROM legacy_key_map WHERE entity = :e AND first_run_id = :r"), params)
    return touched
