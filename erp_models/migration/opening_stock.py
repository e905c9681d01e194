"""Opening stock: a legacy opening balance reaches `stock_levels` only through ledger entries.

A new key posts its quantity, a changed one the difference to what earlier runs posted for it, so a lower
balance in a re-run posts a negative entry. A balance that would fall below what is reserved for its
SKU × warehouse (or below zero) is impossible: its row is quarantined with `opening_below_reserved`, once
when the entity is prepared (before any of its batches loads) and again, under row locks, as each batch
posts, in case orders reserved stock meanwhile.

Levels are updated and inserted separately: PostgreSQL checks CHECK constraints on the row an
`INSERT ... ON CONFLICT DO UPDATE` proposes, so a negative difference "to insert" would fail there.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.migration import runs
from erp_models.migration.loader import Upserted

BELOW_RESERVED = "opening_below_reserved"

# Staged rows that would post (new keys and changed ones) with the difference they would post.
_CHANGES = """SELECT s.*, m.target_id AS mapped_id, m.row_hash AS mapped_hash,
       s.qty - coalesce((SELECT sum(l.qty_delta) FROM stock_ledger l WHERE l.ref_type = 'migration'
                         AND l.ref_id = m.target_id), 0) AS delta
FROM {table} s LEFT JOIN legacy_key_map m ON m.entity = :entity AND m.legacy_key = s.legacy_key
WHERE {where}"""


def set_aside_impossible(session: Session, *, table: str, entity: str,
                         batch_no: int | None = None) -> list[dict[str, Any]]:
    """Remove from staging the changed rows whose SKU × warehouse would end below its reservations.

    Returns them as `_row, _line, legacy_key, reason, detail, raw`; `batch_no` None checks every batch."""
    where = "s._batch = :batch" if batch_no is not None else "true"
    rows = session.execute(text(f"""
        WITH changes AS ({_CHANGES.format(table=table, where=where)}),
        moves AS (SELECT * FROM changes WHERE delta <> 0 AND (mapped_id IS NULL OR mapped_hash <> row_hash)),
        impossible AS (
            SELECT v.sku_id, v.warehouse_id, coalesce(max(l.on_hand), 0) + sum(v.delta) AS new_on_hand,
                   coalesce(max(l.reserved), 0) AS reserved
            FROM moves v LEFT JOIN stock_levels l ON l.sku_id = v.sku_id AND l.warehouse_id = v.warehouse_id
            GROUP BY v.sku_id, v.warehouse_id
            HAVING coalesce(max(l.on_hand), 0) + sum(v.delta) < coalesce(max(l.reserved), 0))
        DELETE FROM {table} s USING moves v JOIN impossible i ON i.sku_id = v.sku_id AND i.warehouse_id = v.warehouse_id
        WHERE s._row = v._row
        RETURNING s._row, s._line, s.legacy_key, '{BELOW_RESERVED}' AS reason,
                  format('sku %s warehouse %s: new on_hand %s < reserved %s', s.sku_code, s.warehouse_code,
                         i.new_on_hand, i.reserved) AS detail, to_jsonb(s) AS raw
    """), {"entity": entity, "batch": batch_no}).mappings().all()
    return [dict(r) for r in rows]


def post_batch(session: Session, *, table: str, entity: str, run_id: uuid.UUID, batch_no: int) -> Upserted:
    """Post one batch's opening balances: entries carry ref_type 'migration', and migration_changes lists
    the ones this run posted, for undo."""
    session.execute(text("LOCK TABLE stock_ledger IN SHARE ROW EXCLUSIVE MODE"))
    # Reservations may have grown since the entity was prepared: check again with the levels locked.
    session.execute(text(f"""SELECT 1 FROM stock_levels l JOIN {table} s ON s.sku_id = l.sku_id
        AND s.warehouse_id = l.warehouse_id WHERE s._batch = :batch ORDER BY l.id FOR UPDATE OF l"""),
                    {"batch": batch_no})
    late = set_aside_impossible(session, table=table, entity=entity, batch_no=batch_no)
    runs.quarantine(session, run_id=run_id, entity=entity, rows=[quarantine_row(r) for r in late])
    base = int(session.execute(text("SELECT coalesce(max(id), 0) FROM stock_ledger")).scalar_one())
    params = {"entity": entity, "run": run_id, "batch": batch_no, "base": base}
    changes = _CHANGES.format(table=table, where="s._batch = :batch")
    inserted, updated, total = session.execute(text(f"""
        WITH src AS ({changes}),
        moves AS (
            SELECT src.*, :base + row_number() OVER (ORDER BY _row) AS new_id FROM src
            WHERE delta <> 0 AND (mapped_id IS NULL OR mapped_hash <> row_hash)),
        ledger AS (
            INSERT INTO stock_ledger (id, sku_id, warehouse_id, qty_delta, reason, ref_type, ref_id, note, actor)
            SELECT new_id, sku_id, warehouse_id, delta, 'opening', 'migration', coalesce(mapped_id, new_id),
                   'opening balance from the legacy system', 'migration' FROM moves
            RETURNING id, sku_id, warehouse_id, qty_delta),
        posted AS (
            INSERT INTO migration_changes (run_id, entity, table_name, row_id, before)
            SELECT :run, :entity, 'stock_ledger', id, '{{"posted": true}}'::jsonb FROM ledger RETURNING 1),
        totals AS (SELECT sku_id, warehouse_id, sum(qty_delta) AS delta FROM ledger GROUP BY sku_id, warehouse_id),
        raised AS (
            UPDATE stock_levels l SET on_hand = l.on_hand + t.delta, version = l.version + 1 FROM totals t
            WHERE l.sku_id = t.sku_id AND l.warehouse_id = t.warehouse_id RETURNING 1),
        opened AS (
            INSERT INTO stock_levels (sku_id, warehouse_id, on_hand)
            SELECT t.sku_id, t.warehouse_id, t.delta FROM totals t WHERE NOT EXISTS (
                SELECT 1 FROM stock_levels l WHERE l.sku_id = t.sku_id AND l.warehouse_id = t.warehouse_id)
            RETURNING 1),
        kept AS (
            INSERT INTO migration_changes (run_id, entity, table_name, row_id, before)
            SELECT :run, :entity, 'legacy_key_map', m.id, to_jsonb(m) FROM legacy_key_map m
            JOIN moves v ON m.entity = :entity AND m.legacy_key = v.legacy_key WHERE v.mapped_id IS NOT NULL
            RETURNING 1),
        mapped AS (
            INSERT INTO legacy_key_map (entity, legacy_key, target_id, row_hash, first_run_id, last_run_id)
            SELECT :entity, legacy_key, coalesce(mapped_id, new_id), row_hash, :run, :run FROM moves
            ON CONFLICT (entity, legacy_key) DO UPDATE
            SET row_hash = EXCLUDED.row_hash, last_run_id = EXCLUDED.last_run_id
            RETURNING 1)
        SELECT (SELECT count(*) FROM moves WHERE mapped_id IS NULL),
               (SELECT count(*) FROM moves WHERE mapped_id IS NOT NULL),
               (SELECT count(*) FROM src) + 0 * (SELECT count(*) FROM raised) + 0 * (SELECT count(*) FROM opened)
               + 0 * (SELECT count(*) FROM mapped) + 0 * (SELECT count(*) FROM kept) + 0 * (SELECT count(*) FROM posted)
    """), params).one()
    sequence = str(session.execute(text("SELECT pg_get_serial_sequence('stock_ledger', 'id')")).scalar_one())
    session.execute(text(f"SELECT setval('{sequence}', greatest((SELECT coalesce(max(id), 1) FROM stock_ledger), "
                         f"(SELECT last_value FROM {sequence})))"))
    return Upserted(int(inserted), int(updated), int(total) - int(inserted) - int(updated))


def quarantine_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row `set_aside_impossible` returned, as `runs.quarantine` records it."""
    return {"legacy_key": row["legacy_key"], "reason_code": row["reason"], "detail": row["detail"],
            "raw": {k: v for k, v in row["raw"].items() if not k.startswith("_")}, "source_file": None,
            "source_row": row["_line"]}
