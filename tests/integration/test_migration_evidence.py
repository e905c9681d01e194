"""Migration evidence and milestone M3 across runs: crashed, blocked, failed and undone runs (issue 10, defect 2).

The migration and plan tasks run as the flows call them, each test on a database of its own: gates judge all
the evidence there is, so no other test's evidence may be in it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from prefect.logging import disable_run_logger
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.enums import CheckpointPhase, MigrationMode, MigrationRunStatus
from erp_models.migration import runs
from erp_models.migration.mapping import load_mapping
from infra.migrate import upgrade
from infra.settings import get_settings
from tasks.migration.tasks import EntityResult, RunPlan, finish_run, undo_run
from tasks.plan.tasks import evaluate_gates, load_plan_file
from tests.integration.builders import ref

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.yaml"
MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
BEFORE_M3_IS_DUE = date(2026, 9, 1)


@pytest.fixture
def own_database(new_database: Callable[[], URL]) -> Iterator[Engine]:
    engine = create_engine(new_database())
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def configured(own_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The tasks' units of work on the test's own database, with the example plan loaded."""
    from infra.db import forget_engines

    monkeypatch.setenv("ERPOPS_DATABASE_URL", own_database.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    forget_engines()
    with disable_run_logger():
        load_plan_file.fn(str(EXAMPLE), "test")
        yield own_database
    get_settings.cache_clear()
    forget_engines()


def a_run(engine: Engine, mapping: str, *, loaded_rows: int = 0) -> RunPlan:
    """A started load of `mapping` (sales orders only); `loaded_rows` committed in one load batch."""
    with Session(engine) as session:
        run_id = runs.start_run(session, mapping_name=mapping, mapping_hash="h", mode=MigrationMode.LOAD)
        runs.finish_run(session, run_id=run_id, status=MigrationRunStatus.RUNNING,
                        summary={"order": ["sales_orders"], "targets": {"sales_orders": "sales_orders"}})
        if loaded_rows:
            runs.checkpoint(session, run_id=run_id, entity="sales_orders", phase=CheckpointPhase.LOADED, batch_no=1,
                            loaded=loaded_rows)
        session.commit()
    return RunPlan(run_id=run_id, mapping_path="mapping.yaml", mapping_name=mapping, mode=MigrationMode.LOAD,
                   mapping=load_mapping(MINI / "mapping.yaml")[0], order=["sales_orders"],
                   targets={"sales_orders": "sales_orders"})


def sales_orders(*, read: int, loaded: int, quarantined: int, reconciled: bool) -> EntityResult:
    return EntityResult(entity="sales_orders", target="sales_orders", read=read, loaded=loaded,
                        quarantined=quarantined, reconciliation={"ok": reconciled})


def m3(today: date = BEFORE_M3_IS_DUE) -> tuple[str, dict[str, float | None]]:
    """M3's status and the value each of its criteria saw."""
    [verdict] = [v for v in evaluate_gates.fn(None, today, "test") if v.code == "M3"]
    return verdict.status.value, {c.key: c.value for c in verdict.criteria}


def m3_runs() -> set[str | None]:
    """The runs whose values M3's criteria read."""
    [verdict] = [v for v in evaluate_gates.fn(None, BEFORE_M3_IS_DUE, "test") if v.code == "M3"]
    return {c.run_id for c in verdict.criteria}


PASSED_RUN_VALUES = {"migration.run.passed": 1.0, "migration.sales_orders.quarantine_rate": 0.01,
                     "migration.sales_orders.reconciled": 1.0}


def test_a_crashed_or_blocked_run_that_loaded_nothing_leaves_the_milestone_on_the_run_before(
    configured: Engine,
) -> None:
    mapping = ref("mapping")
    good = a_run(configured, mapping, loaded_rows=99)
    finish_run.fn(good, "passed", [sales_orders(read=100, loaded=99, quarantined=1, reconciled=True)], "flow-1")
    assert m3() == ("passed", PASSED_RUN_VALUES)

    finish_run.fn(a_run(configured, mapping), "failed", [], "flow-2")  # crashed while staging
    assert m3() == ("passed", PASSED_RUN_VALUES)

    blocked = sales_orders(read=100, loaded=0, quarantined=40, reconciled=False)
    finish_run.fn(a_run(configured, mapping), "blocked", [blocked], "flow-3")  # its gate stopped it
    assert m3() == ("passed", PASSED_RUN_VALUES)
    assert m3_runs() == {str(good.run_id)}


def test_a_run_that_failed_after_loading_is_judged_whole_and_its_undo_restores_the_run_before(
    configured: Engine,
) -> None:
    mapping = ref("mapping")
    good = a_run(configured, mapping, loaded_rows=99)
    finish_run.fn(good, "passed", [sales_orders(read=100, loaded=99, quarantined=1, reconciled=True)], "flow-1")
    crashed = a_run(configured, mapping, loaded_rows=40)

    finish_run.fn(crashed, "failed", [], "flow-2")  # crashed half-way through loading

    # Judged on the crashed run alone: its other criteria do not read the passed run's values.
    assert m3() == ("failed", {"migration.run.passed": 0.0, "migration.sales_orders.quarantine_rate": None,
                               "migration.sales_orders.reconciled": None})

    assert m3_runs() == {str(crashed.run_id), None}

    with disable_run_logger():
        undo_run.fn(crashed.run_id)

    assert m3() == ("passed", PASSED_RUN_VALUES)
    assert m3_runs() == {str(good.run_id)}


def test_undoing_the_only_run_that_counts_leaves_the_milestone_without_evidence(configured: Engine) -> None:
    only = a_run(configured, ref("mapping"), loaded_rows=99)
    finish_run.fn(only, "passed", [sales_orders(read=100, loaded=99, quarantined=1, reconciled=True)], "flow-1")

    with disable_run_logger():
        undo_run.fn(only.run_id)

    assert m3() == ("pending", {"migration.run.passed": None, "migration.sales_orders.quarantine_rate": None,
                                "migration.sales_orders.reconciled": None})
    assert m3(today=date(2027, 2, 1))[0] == "failed"  # overdue without evidence
