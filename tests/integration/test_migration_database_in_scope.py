"""A migration run inside `using_database` (a cutover rehearsal's copy) writes only there, also from the threads
that stage a batch behind the transform and that load batches in parallel."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from erp_models.migration.service import run
from expectations.gate import MigrationGate
from infra.db import UnitOfWork, forget_engines
from infra.migrate import upgrade
from infra.stack import using_database
from tests.integration.builders import ref

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


@pytest.fixture
def copy_database(new_database: Callable[[], URL]) -> Iterator[Engine]:
    engine = create_engine(new_database())
    upgrade(engine)
    yield engine
    forget_engines()
    engine.dispose()


def recorded(engine: Engine, mapping: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM migration_runs WHERE mapping_name = :m"),
                                {"m": mapping}).scalar_one()) + int(conn.execute(text(
            "SELECT count(*) FROM legacy_key_map m JOIN migration_runs r ON r.id = m.first_run_id "
            "WHERE r.mapping_name = :m"), {"m": mapping}).scalar_one())


def test_a_run_in_a_database_in_scope_stages_and_loads_there_and_nowhere_else(
    tasks_on_test_database: Engine, copy_database: Engine, tmp_path: Path,
) -> None:
    shutil.copytree(MINI, tmp_path / "mini")
    mapping = tmp_path / "mini" / "mapping.yaml"
    name = ref("in-scope")  # batches of 2 rows: staging runs behind, and several batches load in parallel
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("name: mini-shop", f"name: {name}"), "utf-8")
    gate = MigrationGate()
    with using_database(copy_database.url.render_as_string(hide_password=False)):
        plan = run.plan_run(run.RunRequest(mapping_path=str(mapping), out_dir=str(tmp_path)), UnitOfWork, gate,
                            uuid.uuid4())
        results = []
        for entity in plan.order:
            staged = run.stage(plan, entity, UnitOfWork, gate)
            assert not staged.blocked_by, staged
            results.append(run.load(plan, staged, UnitOfWork, gate, workers=4))
    assert all(r.reconciliation and r.reconciliation["ok"] for r in results), results
    assert sum(r.loaded for r in results) > 10
    assert recorded(copy_database, name) > 10, "the run and its legacy keys are in the copy"
    assert recorded(tasks_on_test_database, name) == 0, "nothing reached the configured database"
