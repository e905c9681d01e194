"""Test phase: run pytest suites (the project's tiers or a plan's own), record their pass rates, report failures."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from prefect import State, flow, runtime
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.states import Failed
from pydantic import BaseModel, Field

from erp_models.project.suites import DEFAULT_SUITES, SuiteStatus
from infra.settings import get_settings
from tasks.suites.evidence import record_suite_evidence
from tasks.suites.report import artifact_key, failure_rows, suite_markdown
from tasks.suites.run import SuiteOutcome, choose_suites_to_run, run_suite


class SuitesParams(BaseModel):
    """What the Prefect UI's run form asks for."""

    suites: list[str] = Field(default=list(DEFAULT_SUITES), description="Suite names: unit, integration, e2e "
                                                                         "or one the plan file names")
    plan_file: str | None = Field(default=None, description="A plan file whose test_suites section names suites")
    timeout_s: int | None = Field(default=None, gt=0, description="Stop each suite after this many seconds "
                                                                  "(default: the suite's own timeout)")
    run_id: uuid.UUID | None = Field(default=None, description="Id of this run (default: a new one)")
    runs_dir: str | None = Field(default=None, description="Where reports go (default: <state dir>/test-runs)")


class SuitesOutcome(BaseModel):
    run_id: uuid.UUID
    status: SuiteStatus
    suites: list[SuiteOutcome]
    run_dir: str
    flow_run_id: str = ""


def _run_name() -> str:
    """`test-suites/unit+integration`: which suites a run ran, in the flow-run list."""
    params: Any = runtime.flow_run.parameters.get("params") or {}
    names = params.suites if isinstance(params, SuitesParams) else params.get("suites", DEFAULT_SUITES)
    return "test-suites/" + "+".join(names or DEFAULT_SUITES)


@flow(name="test-suites", flow_run_name=_run_name, log_prints=True)
def run_test_suites(params: SuitesParams) -> SuitesOutcome | State[Any]:
    """Run each suite in turn, record its evidence, publish the failures; the run fails when a suite does."""
    flow_run = str(runtime.flow_run.id)
    run_id = params.run_id or uuid.uuid4()
    run_dir = Path(params.runs_dir or get_settings().state_dir / "test-runs").resolve() / str(run_id)
    specs = choose_suites_to_run(params.suites, params.plan_file, params.timeout_s)
    results = [run_suite(spec, str(run_dir)) for spec in specs]
    record_suite_evidence(run_id, results, flow_run)
    publish(run_id, results)
    failed = [s for s in results if s.status == SuiteStatus.FAILED]
    outcome = SuitesOutcome(run_id=run_id, status=SuiteStatus.FAILED if failed else SuiteStatus.PASSED,
                            suites=results, run_dir=str(run_dir), flow_run_id=flow_run)
    print(f"test-suites run {run_id}: {outcome.status}")
    if failed:  # the evidence is recorded; the run itself must not end green
        return Failed(message="; ".join(f"suite {s.name} failed: {s.reason}" for s in failed), data=outcome)
    return outcome


def publish(run_id: uuid.UUID, results: list[SuiteOutcome]) -> None:
    """The failures of the whole run in one table, and a summary per suite, under stable keys."""
    create_table_artifact(failure_rows(results), key="test-failures",
                          description=f"test-suites run {run_id}: failed tests (" + ", ".join(
                              f"{s.name} {len(s.failures)}" for s in results) + ")")
    for suite in results:
        create_markdown_artifact(suite_markdown(suite, run_id), key=artifact_key("test-suite", suite.name),
                                 description=f"test suite {suite.name}: {suite.status} ({suite.reason})")
