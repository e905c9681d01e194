"""Migration runs as an engineer looks them up (`erpops migrate list`), and staging tables no run needs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.enums import LOADING_MODES, UNFINISHED_MIGRATION, MigrationRunStatus

SCHEMA = "migration_staging"  # where staging.staging_table() puts every staging table
# Counts a run's summary carries per entity, summed over its entities for the list.
COUNTS = ("read", "inserted", "updated", "unchanged", "quarantined", "rejected")


@dataclass(frozen=True)
class RunRow:
    id: uuid.UUID
    mapping: str
    mode: str
    status: str
    started: datetime
    finished: datetime | None
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "mapping": self.mapping, "mode": self.mode, "status": self.status,
                "started": self.started.isoformat(), "finished": self.finished and self.finished.isoformat(),
                "counts": self.counts}


def list_runs(session: Session, *, mapping_name: str | None = None, limit: int = 50) -> list[RunRow]:
    """The newest runs first, with their counts summed over entities (empty for a run that never finished)."""
    rows = session.execute(text("""SELECT id, mapping_name, mode, status, started_at, finished_at,
        summary -> 'entities' FROM migration_runs WHERE CAST(:m AS varchar) IS NULL OR mapping_name = :m
        ORDER BY started_at DESC LIMIT :n"""), {"m": mapping_name, "n": limit}).all()
    out = []
    for run_id, mapping, mode, status, started, finished, entities in rows:
        counts = {c: sum(int(e.get(c) or 0) for e in entities) for c in COUNTS} if entities else {}
        out.append(RunRow(run_id, str(mapping), str(mode), str(status), started, finished, counts))
    return out


@dataclass(frozen=True)
class StagingTable:
    name: str  # schema-qualified and quoted, as staging_table() names it
    run_id: uuid.UUID | None  # None: its run no longer exists


def leftover_staging(session: Session, *, older_than_days: float | None = None) -> list[StagingTable]:
    """Staging tables that no `--resume` can use: of runs that passed, were blocked or undone, of failed runs
    that a newer load of their mapping superseded, and of runs that no longer exist.

    With `older_than_days`, also those of unfinished runs (killed or failed) started longer ago than that.
    An unfinished run started more recently keeps its tables: it may be running, or be resumed."""
    rows = session.execute(text("""
        WITH t AS (SELECT tablename, substring(tablename from '^r([0-9a-f]{12})_') AS prefix
                   FROM pg_tables WHERE schemaname = :schema),
             newest AS (SELECT DISTINCT ON (mapping_name) id FROM migration_runs WHERE mode = ANY(:loading)
                        ORDER BY mapping_name, started_at DESC)
        SELECT t.tablename, r.id FROM t LEFT JOIN migration_runs r ON left(replace(r.id::text, '-', ''), 12) = t.prefix
        WHERE t.prefix IS NOT NULL AND (r.id IS NULL
           OR NOT r.status = ANY(:unfinished)
           OR (r.status = :failed AND r.id NOT IN (SELECT id FROM newest))
           OR r.started_at < now() - make_interval(secs => CAST(:secs AS double precision)))
        ORDER BY 1"""), {"schema": SCHEMA, "secs": None if older_than_days is None else older_than_days * 86400,
                         "loading": LOADING_MODES, "unfinished": UNFINISHED_MIGRATION,
                         "failed": MigrationRunStatus.FAILED}).all()
    return [StagingTable(f'{SCHEMA}."{name}"', run_id) for name, run_id in rows]


def drop_tables(session: Session, tables: list[StagingTable]) -> None:
    for table in tables:
        session.execute(text(f"DROP TABLE IF EXISTS {table.name}"))


def recorded_entities(session: Session, run_id: uuid.UUID) -> list[tuple[str, str]]:
    """(entity, target) in the order the run recorded when it started; empty for an unknown run."""
    found = session.execute(text("SELECT summary FROM migration_runs WHERE id = :r"), {"r": run_id}).scalar()
    summary = found or {}
    targets = dict(summary.get("targets", {}))
    return [(name, targets.get(name, name)) for name in summary.get("order", [])]
