"""The migration service's logic that is not SQL, on fakes: a run's plan refuses bad gate settings before it
opens a unit of work, an entity's result says why it is blocked or unreconciled, and staging writes behind the
transform commit in order and surface their errors."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from erp_models.enums import MigrationMode, MigrationPhase
from erp_models.migration.clock import PhaseClock
from erp_models.migration.gate_result import GateResult, Severity
from erp_models.migration.mapping import MappingError, load_mapping
from erp_models.migration.quarantined import SetAside
from erp_models.migration.runs import Reconciliation
from erp_models.migration.service.behind import Behind
from erp_models.migration.service.pipeline import LoadReport
from erp_models.migration.service.results import EntityResult, RunPlan, loaded_result
from erp_models.migration.service.run import RunRequest, plan_run

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini" / "mapping.yaml"


class RefusingGate:
    """A gate that knows no expectation called `no_such_check`."""

    def __call__(self, frame: pd.DataFrame, target: str, *, severity: dict[str, Severity],  # noqa: ARG002
                 disable: list[str], docs_run: str | None) -> GateResult:  # noqa: ARG002
        raise AssertionError("no batch is validated before the plan is made")

    def check(self, target: str, *, severity: dict[str, Severity], disable: list[str]) -> None:  # noqa: ARG002
        if "no_such_check" in disable:
            raise ValueError(f"unknown expectation 'no_such_check' for {target}")


def no_units() -> Any:
    raise AssertionError("a refused mapping opens no unit of work")


def test_a_mapping_whose_gate_names_an_unknown_expectation_is_refused_before_the_database_is_touched(
    tmp_path: Path,
) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MINI.read_text(encoding="utf-8").replace(
        "gate: {max_quarantine_rate: 0.5}", "gate: {max_quarantine_rate: 0.5, disable: [no_such_check]}", 1),
        encoding="utf-8")
    with pytest.raises(MappingError, match=r"mapping.yaml: entities\.\w+\.gate: unknown expectation "
                                           r"'no_such_check'"):
        plan_run(RunRequest(mapping_path=str(mapping)), no_units, RefusingGate(), uuid.uuid4())


def a_plan() -> RunPlan:
    mapping = load_mapping(MINI)[0]
    return RunPlan(run_id=uuid.uuid4(), mapping_path=str(MINI), mapping_name=mapping.name, mapping=mapping,
                   mode=MigrationMode.LOAD, order=["customers"], targets={"customers": "customers"})


def staged_customers(read: int) -> EntityResult:
    return EntityResult(entity="customers", target="customers", read=read, seconds={"transform": 1.0, "stage": 2.0})


def a_load(loaded: int, *, in_erp: int | None = None) -> LoadReport:
    return LoadReport(inserted=loaded, updated=0, unchanged=0,
                      reconciliation=Reconciliation("customers", staged=loaded, in_erp=loaded if in_erp is None
                                                    else in_erp),
                      clock=PhaseClock({MigrationPhase.UPSERT: 3.0, MigrationPhase.STAGE: 0.5}))


def test_an_entity_whose_rows_all_add_up_reconciles_and_keeps_its_time_per_phase() -> None:
    plan = a_plan()
    result = loaded_result(staged_customers(10), a_load(9), SetAside(1, 0, {"bad_phone": 1}), plan.mapping)
    assert result.reconciliation is not None and result.reconciliation["ok"] is True
    assert (result.loaded, result.quarantined, result.blocked_by) == (9, 1, [])
    assert result.seconds == {"transform": 1.0, "stage": 2.5, "upsert": 3.0}


def test_rows_that_neither_loaded_nor_were_set_aside_fail_the_reconciliation_naming_the_counts() -> None:
    plan = a_plan()
    result = loaded_result(staged_customers(10), a_load(8), SetAside(1, 0, {"bad_phone": 1}), plan.mapping)
    assert result.reconciliation is not None and result.reconciliation["ok"] is False
    assert "10 source rows but loaded 8 + quarantined 1 + rejected 0" in result.reconciliation["differences"]


def test_an_entity_over_its_quarantine_limit_is_blocked_with_the_rate_and_the_limit() -> None:
    plan = a_plan()  # the mini shop allows customers a quarantine rate of 0.5
    result = loaded_result(staged_customers(10), a_load(4), SetAside(6, 0, {"bad_phone": 6}), plan.mapping)
    assert result.blocked_by == ["quarantine rate 0.6000 > 0.5"]


def test_writes_behind_the_caller_commit_in_the_order_they_were_submitted_one_at_a_time() -> None:
    done: list[int] = []
    in_flight = threading.Semaphore(1)

    def write(n: int) -> None:
        assert in_flight.acquire(blocking=False), "two writes ran at once"
        try:
            done.append(n)
        finally:
            in_flight.release()

    with Behind() as writer:
        for n in range(20):
            writer.submit(lambda n=n: write(n))
    assert done == list(range(20))


def test_a_failed_write_behind_the_caller_stops_the_next_submit_with_its_own_error() -> None:
    def fail() -> None:
        raise ValueError("lines.csv row 7: refused")

    submitted_after: list[int] = []
    with pytest.raises(ValueError, match="lines.csv row 7"), Behind() as writer:
        writer.submit(fail)
        writer.submit(lambda: submitted_after.append(1))
    assert submitted_after == []


def test_without_a_thread_each_write_runs_at_once_in_the_callers_thread() -> None:
    threads: list[str] = []
    with Behind(enabled=False) as writer:
        writer.submit(lambda: threads.append(threading.current_thread().name))
        assert threads == [threading.current_thread().name]
