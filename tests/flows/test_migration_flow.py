"""The migration flow under a Prefect test server: its run's name, tags and task names say what it does, a blocked
run ends Failed with the reason as its message, and a passed one Completed with its outcome."""

from __future__ import annotations

import shutil
from pathlib import Path

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from sqlalchemy import Engine

from erp_models.enums import MigrationMode, MigrationRunStatus
from flows.migration import MigrateParams, MigrationOutcome, migrate, run_migration
from tests.integration.builders import ref

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def a_mapping(tmp_path: Path) -> tuple[Path, str]:
    """The mini shop's mapping under a name of its own (runs of one mapping name resume each other)."""
    shutil.copytree(MINI, tmp_path / "mini")
    mapping = tmp_path / "mini" / "mapping.yaml"
    name = ref("flow")
    mapping.write_text(mapping.read_text(encoding="utf-8").replace("name: mini-shop", f"name: {name}"), "utf-8")
    return mapping, name


async def _task_names(flow_run_id: str) -> list[str]:
    """The run's task runs, by name; none carries the flow run's tags (each would cost a concurrency-slot call)."""
    async with get_client() as client:
        runs = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    assert runs and all(r.tags == [] for r in runs), [(r.name, r.tags) for r in runs if r.tags]
    return sorted(r.name for r in runs)


def test_a_load_names_its_run_tags_it_and_names_each_entitys_tasks(harness: None, erp_database: Engine,
                                                                 tmp_path: Path) -> None:
    import asyncio

    mapping, name = a_mapping(tmp_path)
    reported: list[tuple[str, str, int]] = []
    outcome = run_migration(MigrateParams(mapping=str(mapping), out_dir=str(tmp_path / "out")),
                            reporter=lambda entity, phase, done, _expected: reported.append((entity, phase, done)))
    assert (outcome.status, outcome.mode) == (MigrationRunStatus.PASSED, MigrationMode.LOAD)
    last = {(entity, phase): done for entity, phase, done in reported}  # the caller's reporter saw every step
    assert {(e.entity, "staged") for e in outcome.entities} | {(e.entity, "loaded") for e in outcome.entities} \
        <= set(last)
    assert all(last[(e.entity, "loaded")] == e.loaded for e in outcome.entities)
    assert all(set(e.seconds) >= {"transform", "gate", "stage", "upsert", "reconcile"} for e in outcome.entities)

    async def read() -> tuple[str, list[str], str]:
        async with get_client() as client:
            run = await client.read_flow_run(outcome.flow_run_id)
        return run.name, sorted(run.tags), run.state.type.value if run.state else ""

    run_name, tags, state = asyncio.run(read())
    assert run_name == f"migration/{name}/load"
    assert tags == sorted(["phase:migrate", "mode:load", f"mapping:{name}"])
    assert state == "COMPLETED"
    tasks = asyncio.run(_task_names(outcome.flow_run_id))
    staged = [t.removeprefix("stage_entity[").removesuffix("]").split("+") for t in tasks
              if t.startswith("stage_entity[")]  # entities that read one file are staged by one task
    assert sorted(e for group in staged for e in group) == sorted(e.entity for e in outcome.entities)
    assert "load_entity[sales_order_lines]" in tasks
    assert asyncio.run(_progress(outcome.flow_run_id)) == [100.0], "a finished run's progress reads 100 %"


async def _progress(flow_run_id: str) -> list[float]:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterType

    async with get_client() as client:
        artifacts = await client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), type=ArtifactFilterType(any_=["progress"])))
    return [float(a.data) for a in artifacts]  # type: ignore[arg-type]


def test_a_blocked_run_ends_failed_with_its_reason_and_still_returns_its_outcome(harness: None, erp_database: Engine,
                                                                               tmp_path: Path) -> None:
    mapping, _ = a_mapping(tmp_path)  # half the mini shop's orders are quarantined: over a 1 % limit
    text = mapping.read_text(encoding="utf-8")
    head, orders = text.split("  sales_orders:\n", 1)
    mapping.write_text(head + "  sales_orders:\n" + orders.replace("gate: {max_quarantine_rate: 0.5}",
                                                                   "gate: {max_quarantine_rate: 0.01}", 1),
                       encoding="utf-8")
    state = migrate(MigrateParams(mapping=str(mapping), out_dir=str(tmp_path / "out")), return_state=True)
    assert state.is_failed()
    assert state.message and "sales_orders blocked by quarantine rate 0.5000 > 0.01" in state.message, state.message
    outcome = state.result(raise_on_failure=False)
    assert isinstance(outcome, MigrationOutcome) and outcome.status == MigrationRunStatus.BLOCKED
    assert all(e.loaded == 0 for e in outcome.entities), "a blocked run loads nothing"
