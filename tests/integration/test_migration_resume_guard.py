"""A resume goes on with the mapping its run started with: an edited mapping is refused, naming what changed, unless
--force, which then goes on with the new one."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from prefect.logging import disable_run_logger
from sqlalchemy import Engine, text

from erp_models.errors import Conflict
from tasks.migration.tasks import RunPlan, RunRequest, plan_run
from tests.integration.builders import ref

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


@pytest.fixture
def configured(tasks_on_test_database: Engine) -> Engine:
    return tasks_on_test_database


def test_an_edited_mapping_does_not_resume_without_force(configured: Engine, tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "mini")
    mapping = tmp_path / "mini" / "mapping.yaml"
    name = ref("resume-guard")
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("name: mini-shop", f"name: {name}"), "utf-8")

    def plan(**options: bool) -> RunPlan:
        with disable_run_logger():
            return plan_run.fn(RunRequest(mapping_path=str(mapping), out_dir=str(tmp_path), **options), uuid.uuid4())

    started = plan(resume=False)  # a load that is then killed: its run stays `running`, resumable
    assert plan(resume=True).run_id == started.run_id
    mapping.write_text(mapping.read_text(encoding="utf-8").replace(
        "name: {from: name, transforms: [squeeze]}", "name: {from: name}"), encoding="utf-8")
    with pytest.raises(Conflict, match=r"the mapping changed since run .* started \(entity products changed\)"):
        plan(resume=True)
    forced = plan(resume=True, force=True)
    assert forced.run_id == started.run_id
    assert forced.forced_change == "entity products changed", "the forced resume says what it goes on despite"
    assert plan(resume=True).run_id == started.run_id, "once forced, the run goes on with the new mapping"
    with configured.connect() as conn:
        kept = conn.execute(text("SELECT summary -> 'mapping' ->> 'products' FROM migration_runs WHERE id = :r"),
                            {"r": started.run_id}).scalar_one()
    assert kept == forced.mapping_marks["products"]


def test_a_resumed_or_dry_delta_reads_past_the_marks_it_started_from(configured: Engine, tmp_path: Path) -> None:
    from erp_models.enums import MigrationMode, MigrationRunStatus
    from erp_models.migration.service import run
    from expectations.gate import MigrationGate
    from infra.db import UnitOfWork

    shutil.copytree(MINI, tmp_path / "mini")
    mapping = tmp_path / "mini" / "mapping.yaml"
    name = ref("resume-delta")
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("name: mini-shop", f"name: {name}"), "utf-8")
    gate = MigrationGate()

    def plan(**options: bool) -> RunPlan:
        return run.plan_run(RunRequest(mapping_path=str(mapping), out_dir=str(tmp_path), **options), UnitOfWork,
                            gate, uuid.uuid4())

    load = plan()
    results = [run.load(load, run.stage(load, e, UnitOfWork, gate), UnitOfWork, gate) for e in load.order]
    run.finish(load, MigrationRunStatus.PASSED, results, "flow-1", UnitOfWork)
    delta = plan(delta=True)  # then killed: it stays running, resumable
    assert delta.delta_marks, "the load left watermarks"
    for options in ({"resume": True}, {"resume": True, "delta": True}):
        resumed = plan(**options)
        assert (resumed.run_id, resumed.mode) == (delta.run_id, MigrationMode.DELTA)
        assert resumed.delta_marks == delta.delta_marks
    rehearsal = plan(dry_run=True, delta=True)
    assert (rehearsal.mode, rehearsal.delta_marks) == (MigrationMode.DRY_RUN, delta.delta_marks)
