"""Driving a whole mapping through staging and loading without Prefect, as the migration flow does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import sessionmaker

from erp_models.enums import MigrationMode, MigrationRunStatus
from erp_models.migration import runs
from erp_models.migration.mapping import entity_order, load_mapping
from erp_models.migration.quarantined import set_aside_counts
from erp_models.migration.service import pipeline
from erp_models.migration.service.relations import reading_groups
from expectations.gate import MigrationGate
from infra.db import UnitOfWork
from infra.migrate import upgrade


def upgraded_engine(new_database: Callable[[], URL]) -> Iterator[Engine]:
    """A fresh database at the newest schema (for module-scoped fixtures)."""
    engine = create_engine(new_database())
    upgrade(engine)
    yield engine
    engine.dispose()


def write_export(folder: Path, files: dict[str, str], mapping: str) -> Path:
    """The export's CSV files and its mapping in `folder`; returns the mapping's path."""
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "mapping.yaml").write_text(mapping, encoding="utf-8")
    return folder / "mapping.yaml"


@dataclass(frozen=True)
class Migrated:
    run_id: uuid.UUID
    order: list[tuple[str, str]]  # (entity, target) in load order
    entities: dict[str, dict[str, Any]]  # per entity: the load's counts, `read` and `reasons`

    def __getitem__(self, entity: str) -> dict[str, Any]:
        return self.entities[entity]


def migrate(engine: Engine, mapping_path: Path, *, together: bool = False) -> Migrated:
    """Stage every entity (none may block), load them in order, and record the run as passed. With `together`, the
    entities that read one file are staged from one reading of it, as the flow does; else each reads its own."""
    mapping, digest = load_mapping(mapping_path)
    factory = sessionmaker(bind=engine)
    with factory() as session:
        run_id: uuid.UUID = runs.start_run(session, mapping_name=mapping.name, mapping_hash=digest,
                                           mode=MigrationMode.LOAD)
        session.commit()
    plan = pipeline.Plan(run_id, mapping, mapping_path.parent, entity_order(mapping), MigrationGate())

    def units() -> UnitOfWork:
        return UnitOfWork(factory)

    read = {}
    for group in reading_groups(mapping, plan.order) if together else [[name] for name in plan.order]:
        for staged in pipeline.stage_entities(plan, group, units):
            staged = pipeline.check_staged(plan, staged, units)
            assert not staged.blocking, staged.entity
            read[staged.entity] = staged.read
    loaded = {}
    for name in plan.order:
        report = pipeline.load_entity(plan, name, units)
        loaded[name] = {"inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged,
                        "loaded": report.loaded, "reconciliation": report.reconciliation, "read": read[name]}
    with factory() as session:
        for name in plan.order:
            loaded[name]["reasons"] = set_aside_counts(session, run_id, name).reasons
        runs.finish_run(session, run_id=run_id, status=MigrationRunStatus.PASSED, summary={})
        session.commit()
    return Migrated(run_id, [(n, mapping.entities[n].target) for n in plan.order], loaded)


def rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]
